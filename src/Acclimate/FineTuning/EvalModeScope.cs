using static TorchSharp.torch;

namespace Acclimate.FineTuning;

/// <summary>
/// Switches a module to eval mode (dropout off) for a using-block and restores training mode
/// after, so prediction helpers do not change the caller's training state.
/// </summary>
internal sealed class EvalModeScope : IDisposable
{
    private readonly nn.Module _module;
    private readonly bool _wasTraining;

    public EvalModeScope(nn.Module module)
    {
        _module = module;
        _wasTraining = module.training;
        module.eval();
    }

    public void Dispose()
    {
        if (_wasTraining) _module.train();
    }
}
