namespace Acclimate.Training;

/// <summary>
/// One log event: the optimizer step, the (fractional) epoch, and named values such as
/// <c>loss</c>, <c>lr</c>, <c>grad_norm</c>, <c>tokens_per_second</c>, or, for an evaluation,
/// <c>eval_loss</c>, <c>eval_f1</c>. One line of <c>metrics.jsonl</c>.
/// </summary>
public sealed record MetricsRecord(long Step, double Epoch, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>True for evaluation records (their values carry the <c>eval_</c> prefix).</summary>
    public bool IsEvaluation => Values.Keys.Any(k => k.StartsWith("eval_", StringComparison.Ordinal));

    /// <summary>The value named <paramref name="name"/>, or null.</summary>
    public double? Get(string name) => Values.TryGetValue(name, out var v) ? v : null;
}
