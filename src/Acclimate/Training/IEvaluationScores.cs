namespace Acclimate.Training;

/// <summary>
/// What one evaluation of the training loop scored. The loop needs only <see cref="Metrics"/> (logged
/// as <c>eval_*</c>, and the best-model choice); a caller's own scores type (a tagger's per-type table,
/// say) implements this so that the same object reaches its <see cref="EvaluationOutcome"/> handler.
/// </summary>
public interface IEvaluationScores
{
    /// <summary>Metric values by name (<c>loss</c>, <c>f1</c>…), without the <c>eval_</c> prefix.</summary>
    IReadOnlyDictionary<string, double> Metrics();
}

/// <summary>Scores that are just metric values.</summary>
internal sealed class MetricValues : IEvaluationScores
{
    private readonly IReadOnlyDictionary<string, double> _values;

    public MetricValues(IReadOnlyDictionary<string, double> values) => _values = values ?? throw new ArgumentNullException(nameof(values));

    public IReadOnlyDictionary<string, double> Metrics() => _values;
}

/// <summary>
/// One finished evaluation, as <see cref="TrainingLoop{TBatch}.Evaluated"/> reports it: the step, the
/// scores the evaluation returned, whether they improved the best-model metric, and the mean training
/// loss of the updates since the previous evaluation (those before a resume included, when the
/// checkpoint kept them; NaN when there were none).
/// </summary>
public sealed record EvaluationOutcome(long Step, double Epoch, IEvaluationScores Scores, bool IsBest, double TrainLoss);
