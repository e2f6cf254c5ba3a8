using Acclimate.Errors;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.Continual;

/// <summary>
/// Estimates the diagonal Fisher information for EWC from general-domain batches with the
/// pretraining loss: F = (1/N)·Σₙ (∂Lₙ/∂θ)², the mean over N batches of the element-wise squared
/// gradient of each batch's loss.
/// </summary>
/// <remarks>
/// This is the <em>empirical</em> Fisher: the gradients use the data's own targets (the masked
/// tokens' true ids), not targets sampled from the model's predictive distribution as the true
/// Fisher would. And it squares the gradient of a batch-mean loss, not per-example gradients:
/// with batch size 1 it is the textbook per-example empirical Fisher; with batch size B the
/// noise part of each squared gradient shrinks by about 1/B, so F is smaller and λ must be
/// larger to match — keep the batch size fixed between the runs that share a λ. The model runs
/// in eval mode (no dropout) during estimation and gets its previous mode back; gradients of the
/// selected parameters are zeroed before each batch and after the last.
/// </remarks>
internal static class FisherEstimator
{
    /// <param name="module">The model at θ* (usually the pretrained starting point).</param>
    /// <param name="batches">General-domain batches; the first <paramref name="maxBatches"/> are used.</param>
    /// <param name="loss">The pretraining loss of one batch (a scalar with its graph).</param>
    /// <param name="include">Which parameter names get a Fisher entry.</param>
    /// <param name="maxBatches">N; null = every batch.</param>
    public static FisherInformation Estimate<TBatch>(nn.Module module, IEnumerable<TBatch> batches, Func<TBatch, Tensor> loss,
        Func<string, bool> include, int? maxBatches = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(loss);
        if (maxBatches is <= 0) throw new ConfigException($"Fisher estimation needs at least one batch, max batches is {maxBatches}.");
        var selected = ParameterSelection.Select(module, include);
        if (selected.Count == 0) throw new ConfigException("Fisher estimation selects no trainable parameter.");

        var sums = selected.Select(p => zeros_like(p.Parameter, dtype: ScalarType.Float32)).ToArray();
        var wasTraining = module.training;
        module.eval();
        var count = 0;
        try
        {
            foreach (var batch in batches)
            {
                if (count == maxBatches) break;
                using var scope = NewDisposeScope();
                ZeroGrads(selected);
                var value = loss(batch);
                if (value.numel() != 1) throw new DataException($"the Fisher loss must be a scalar; batch {count} gave shape [{string.Join(", ", value.shape)}].");
                value.backward();
                using (no_grad())
                    for (var i = 0; i < selected.Count; i++)
                        if (selected[i].Parameter.grad is { } grad)
                            sums[i].add_(grad.to_type(ScalarType.Float32).square());
                count++;
            }
            if (count == 0) throw new DataException("Fisher estimation got no batch.");
            var entries = new Dictionary<string, (Tensor, Tensor)>(StringComparer.Ordinal);
            using (no_grad())
                for (var i = 0; i < selected.Count; i++)
                {
                    sums[i].div_(count);
                    entries[selected[i].Name] = (sums[i], selected[i].Parameter.detach().to_type(ScalarType.Float32).clone());
                }
            return new FisherInformation(entries, count);
        }
        catch
        {
            foreach (var s in sums) s.Dispose();
            throw;
        }
        finally
        {
            ZeroGrads(selected);
            module.train(wasTraining);
        }
    }

    private static void ZeroGrads(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> parameters)
    {
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }
}
