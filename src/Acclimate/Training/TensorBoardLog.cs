using TorchSharp;
using TorchSharp.Modules;

namespace Acclimate.Training;

/// <summary>
/// Scalars into a TensorBoard event file via TorchSharp's <c>SummaryWriter</c>: training values as
/// <c>train/&lt;name&gt;</c>, evaluation values as <c>eval/&lt;name&gt;</c> (HF's tags).
/// </summary>
/// <remarks>
/// TorchSharp 0.107.0's writer opens, appends to and closes the file on every scalar (nothing is
/// buffered, so there is nothing to flush or dispose). Left to itself it stamps events with
/// <c>DateTime.Now.Ticks</c>, which TensorBoard would read as seconds (a date some 20 billion years
/// away); the wall time is therefore passed explicitly as whole Unix seconds (its parameter is a
/// long). Steps are exact up to int.MaxValue.
/// </remarks>
internal sealed class TensorBoardLog
{
    private readonly SummaryWriter _writer;

    public TensorBoardLog(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        _writer = torch.utils.tensorboard.SummaryWriter(folder);
        Folder = _writer.LogDir;
    }

    public string Folder { get; }

    /// <summary>Writes every finite value of <paramref name="record"/> as a scalar at its step.</summary>
    public void Write(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var step = (int)Math.Min(record.Step, int.MaxValue);
        var wallTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var (name, value) in record.Values)
        {
            if (!double.IsFinite(value)) continue;
            var tag = name.StartsWith("eval_", StringComparison.Ordinal) ? "eval/" + name[5..] : "train/" + name;
            _writer.add_scalar(tag, (float)value, step, wallTime);
        }
        if (!record.IsEvaluation)
            _writer.add_scalar("train/epoch", (float)record.Epoch, step, wallTime);
    }
}
