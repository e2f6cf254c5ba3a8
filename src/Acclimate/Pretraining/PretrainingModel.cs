using Acclimate.Checkpoints;
using Acclimate.Errors;
using Acclimate.Models;
using Acclimate.Pretraining.Forgetting;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Training;
using static TorchSharp.torch;

namespace Acclimate.Pretraining;

/// <summary>
/// The model a pretraining run trains: an MLM model (with an NSP/SOP head for those objectives) or
/// ELECTRA's generator + discriminator, with the objective, the trainable wrapper and the held-out
/// scoring that go with it.
/// </summary>
internal sealed class PretrainingModel : IDisposable
{
    private PretrainingModel() { }

    /// <summary>The MLM model (null for ELECTRA).</summary>
    public MaskedLmModel? Mlm { get; private init; }
    /// <summary>ELECTRA's pair (null for MLM objectives).</summary>
    public ElectraPretrainingModel? Electra { get; private init; }
    /// <summary>ELECTRA's seeded sampler; owned here so that it is freed with the model, not by a finalizer.</summary>
    private Generator? Sampler { get; init; }

    /// <summary>The module being trained.</summary>
    public nn.Module Module => (nn.Module?)Electra ?? Mlm!;
    /// <summary>The model whose config the data must fit (ELECTRA: the discriminator).</summary>
    public TransformerModel DiscriminatorOrModel => (TransformerModel?)Electra?.Discriminator ?? Mlm!;

    /// <summary>The run's objective on this model.</summary>
    public IPretrainingObjective Objective() => Electra is { } e ? e : new MlmObjective(Mlm!);

    /// <summary>What the training loop checkpoints and saves (the tokenizer goes beside each checkpoint).</summary>
    public ITrainableModel Trainable(Action<string> saveTokenizer) =>
        Electra is { } electra ? new ElectraTrainableModel(electra, saveTokenizer) : new HfTrainableModel(Mlm!, saveTokenizer);

    /// <summary>MLM score on one held-out set (ELECTRA: the generator's).</summary>
    public MlmScore Score(MlmEvaluation evaluation) => Electra is { } e ? evaluation.Score(e).Generator : evaluation.Score(Mlm!);

    /// <summary>
    /// The evaluation metrics on the held-out sets: loss and perplexity (ELECTRA: also detection
    /// accuracy and recall), prefixed by the set name except for "domain".
    /// </summary>
    public IReadOnlyDictionary<string, double> Evaluate(IReadOnlyList<HeldOutSet> sets)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, _, evaluation) in sets)
        {
            var prefix = name == "domain" ? "" : name + "_";
            MlmScore score;
            if (Electra is { } e)
            {
                var electra = evaluation.Score(e);
                score = electra.Generator;
                values[prefix + "disc_accuracy"] = electra.DiscriminatorAccuracy;
                values[prefix + "replaced_recall"] = electra.ReplacedRecall;
            }
            else score = evaluation.Score(Mlm!);
            values[prefix + "loss"] = score.Loss;
            values[prefix + "perplexity"] = score.Perplexity;
        }
        // metric_for_best defaults to "loss": with only a general set, that is the general loss.
        if (!values.ContainsKey("loss") && values.TryGetValue("general_loss", out var generalLoss)) values["loss"] = generalLoss;
        return values;
    }

    public void Dispose()
    {
        Module.Dispose();
        Sampler?.Dispose();
    }

    /// <summary>
    /// The model on <paramref name="device"/>. ELECTRA's generator and discriminator are moved
    /// before they are joined: the pair shares its embedding Parameters, and moving the joined
    /// module would give each side its own copy.
    /// </summary>
    public static PretrainingModel Build(PretrainingRecipe r, ITextTokenizer tokenizer, Device device)
    {
        var kind = r.Objective.Kind;
        if (kind == PretrainingObjectiveKind.Electra)
        {
            // multinomial needs a generator of the probabilities' device.
            var sampler = new Generator((ulong)r.Training.Seed, device);
            var parts = new List<IDisposable> { sampler };
            try
            {
                ElectraPretrainingModel electra;
                if (r.Model.Init is string init)
                {
                    var disc = PretrainedModel.Load(init, ModelTask.PreTraining).Model;
                    parts.Add(disc);
                    if (disc is not ElectraDiscriminatorModel discriminator)
                        throw new ConfigException($"model.init {init}: objective electra needs an ELECTRA model, found {disc.ArchitectureName}.");
                    var generator = r.Model.GeneratorInit is string generatorInit
                        ? PretrainedModel.Load(generatorInit, ModelTask.MaskedLM).Model
                        : ModelFactory.Create(ElectraPretrainingModel.GeneratorConfig(discriminator.Config, r.Model.GeneratorFraction), ModelTask.MaskedLM);
                    parts.Add(generator);
                    if (generator is not MaskedLmModel generatorMlm)
                        throw new ConfigException($"model.generator_init {r.Model.GeneratorInit}: expected a masked-LM generator, found {generator.ArchitectureName}.");
                    DevicePlacement.MoveTo(discriminator, device);
                    DevicePlacement.MoveTo(generatorMlm, device);
                    electra = new ElectraPretrainingModel(generatorMlm, discriminator, sampler, r.Objective.DiscriminatorWeight);
                }
                else
                {
                    if (r.Model.Architecture != ModelType.Electra)
                        throw new ConfigException($"objective electra needs model.architecture electra (found {RecipeNames.EnumValue(r.Model.Architecture)}).");
                    electra = ElectraPretrainingModel.Create(ScratchConfig(r, tokenizer), sampler, r.Model.GeneratorFraction, r.Objective.DiscriminatorWeight, device);
                }
                return new PretrainingModel { Electra = electra, Sampler = sampler };
            }
            catch
            {
                // Native memory is freed here, on this thread, not later by finalizers.
                foreach (var part in parts) part.Dispose();
                throw;
            }
        }

        var withSentenceHead = kind is PretrainingObjectiveKind.MlmNsp or PretrainingObjectiveKind.MlmSop;
        var task = withSentenceHead ? ModelTask.PreTraining : ModelTask.MaskedLM;
        var model = r.Model.Init is string folder ? PretrainedModel.Load(folder, task).Model : ModelFactory.Create(ScratchConfig(r, tokenizer), task);
        if (model is not MaskedLmModel mlm)
        {
            model.Dispose();
            throw new ConfigException($"objective {RecipeNames.EnumValue(kind)} needs a masked-LM model, found {model.ArchitectureName}.");
        }
        var sentenceObjective = kind switch { PretrainingObjectiveKind.MlmNsp => "NSP", PretrainingObjectiveKind.MlmSop => "SOP", _ => null };
        if (sentenceObjective is not null && mlm.Config.Family.SentenceObjective != sentenceObjective)
        {
            var family = mlm.Config.Family;
            mlm.Dispose();
            var fits = string.Join(" or ", EncoderFamily.All.Where(f => f.SentenceObjective == sentenceObjective).Select(f => f.ClassPrefix.ToUpperInvariant()));
            throw new ConfigException($"objective {RecipeNames.EnumValue(kind)} needs a {fits} model (one with a {sentenceObjective} head), found {family}.");
        }
        return new PretrainingModel { Mlm = DevicePlacement.MoveTo(mlm, device) };
    }

    private static EncoderConfig ScratchConfig(PretrainingRecipe r, ITextTokenizer tokenizer)
    {
        var m = r.Model;
        return EncoderConfig.Create(m.Architecture, tokenizer.VocabSize, m.HiddenSize, m.NumLayers, m.NumHeads, m.IntermediateSize,
            m.EmbeddingSize, m.MaxPositionEmbeddings, extra: obj => obj["pad_token_id"] = tokenizer.PadTokenId);
    }
}
