using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Acclimate.FineTuning.Adversarial;

/// <summary>
/// Adversarial training on the word embeddings. After a micro-batch's normal backward pass it
/// takes that micro-batch's gradient g of the word-embedding rows the batch uses, moves those rows
/// against the model, runs forward and backward again on the perturbed embeddings (the adversarial
/// loss's gradient adds to the clean one), and copies the saved rows back, so the embedding matrix
/// is bit-for-bit what it was.
/// <list type="bullet">
/// <item>FGM (Miyato et al. 2017): one step r = ε·g/‖g‖.</item>
/// <item>PGD (Madry et al. 2018): K steps r ← Π_ε(r + α·g_k/‖g_k‖), g_k the gradient at the
/// previous perturbation (taken with <c>autograd.grad</c>, so it does not touch the parameters'
/// gradients); only the last step's backward pass is accumulated.</item>
/// </list>
/// ‖·‖ is the L2 norm over all perturbed rows together; a zero or non-finite gradient skips the
/// adversarial pass.
/// </summary>
internal sealed class EmbeddingAdversary
{
    private readonly Func<Tensor> _weight;
    private readonly AdversarialOptions _options;

    /// <param name="wordEmbeddings">Returns the word-embedding matrix parameter [vocab, dim] (read fresh on every call: moving a module replaces its Parameter objects).</param>
    /// <param name="options">The method, ε, and PGD's steps and α.</param>
    public EmbeddingAdversary(Func<Tensor> wordEmbeddings, AdversarialOptions options)
    {
        _weight = wordEmbeddings ?? throw new ArgumentNullException(nameof(wordEmbeddings));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Method == AdversarialMethod.None) throw new ArgumentException("adversarial.method is none; nothing to do.", nameof(options));
        options.EnsureValid("adversarial");
    }

    /// <summary>
    /// Back-propagates <paramref name="loss"/>·<paramref name="scale"/>, then the adversarial pass(es).
    /// Returns the (last) adversarial loss, detached, or null when the gradient gave no direction.
    /// </summary>
    /// <param name="loss">The micro-batch's clean loss (graph not yet back-propagated).</param>
    /// <param name="scale">What the training loop scales each micro-batch's loss by (1 / micro-batches per update).</param>
    /// <param name="inputIds">The micro-batch's token ids: their rows are the ones perturbed.</param>
    /// <param name="lossAgain">Runs the model on the same micro-batch again and returns its loss (the perturbation is in place).</param>
    public Tensor? Backward(Tensor loss, double scale, Tensor inputIds, Func<Tensor> lossAgain)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(lossAgain);
        var weight = _weight();
        using var scope = NewDisposeScope();
        Tensor rows, original;
        Tensor? before;
        using (no_grad())
        {
            rows = inputIds.flatten().to(weight.device).unique().output;
            // With gradient accumulation .grad already holds earlier micro-batches; this one's g is the difference.
            before = weight.grad is { } accumulated ? accumulated.index_select(0, rows) : null;
            original = weight.detach().index_select(0, rows);   // a copy: restored bit for bit at the end
        }
        Scaled(loss, scale).backward();
        Tensor gradient;
        using (no_grad())
        {
            var after = weight.grad?.index_select(0, rows) ?? throw new InvalidOperationException("the word embeddings received no gradient from the loss; adversarial training needs them trainable.");
            gradient = before is null ? after : after - before;
        }
        try
        {
            Tensor? adversarial = null;
            if (_options.Method == AdversarialMethod.Fgm)
            {
                if (Direction(gradient, _options.Epsilon) is not { } step) return null;
                Put(weight, rows, original + step);
                adversarial = lossAgain();
                Scaled(adversarial, scale).backward();
            }
            else
            {
                var delta = zeros_like(original);
                for (var k = 1; k <= _options.Steps; k++)
                {
                    if (Direction(gradient, _options.Alpha) is not { } step) break;
                    delta = Project(delta + step, _options.Epsilon);
                    Put(weight, rows, original + delta);
                    adversarial = lossAgain();
                    if (k == _options.Steps)
                    {
                        Scaled(adversarial, scale).backward();
                        break;
                    }
                    // Only the direction for the next step: the parameters' gradients stay untouched.
                    var next = torch.autograd.grad(new[] { adversarial }, new[] { weight })[0];
                    using (no_grad()) gradient = next.index_select(0, rows);
                    adversarial = null;
                }
            }
            return adversarial?.detach().MoveToOuterDisposeScope();
        }
        finally
        {
            Put(weight, rows, original);
        }
    }

    /// <summary>
    /// The word-embedding matrix of a model with the given backbone (<c>bert</c>, <c>roberta</c>…),
    /// looked up by its HF name on every call: moving a module replaces its Parameter objects.
    /// </summary>
    public static Tensor WordEmbeddings(nn.Module model, string backbone)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = backbone + ".embeddings.word_embeddings.weight";
        foreach (var (n, p) in model.named_parameters())
            if (n == name) return p;
        throw new InvalidOperationException($"the model has no parameter '{name}'; adversarial training perturbs the word embeddings.");
    }

    /// <summary>size·g/‖g‖, or null when ‖g‖ is 0 or not finite.</summary>
    internal static Tensor? Direction(Tensor gradient, double size)
    {
        using var _ = no_grad();
        var norm = gradient.to_type(ScalarType.Float64).norm().item<double>();
        if (!(norm > 0) || double.IsInfinity(norm)) return null;
        return gradient * (size / norm);
    }

    /// <summary>δ scaled back onto the ε-ball when ‖δ‖ &gt; ε.</summary>
    internal static Tensor Project(Tensor delta, double epsilon)
    {
        using var _ = no_grad();
        var norm = delta.to_type(ScalarType.Float64).norm().item<double>();
        return norm > epsilon ? delta * (epsilon / norm) : delta;
    }

    private static Tensor Scaled(Tensor loss, double scale) => scale == 1.0 ? loss : loss * scale;

    private static void Put(Tensor weight, Tensor rows, Tensor values)
    {
        using var _ = no_grad();
        weight.index_copy_(0, rows, values.to(weight.dtype));
    }
}
