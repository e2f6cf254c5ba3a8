using System.Text.Json.Nodes;
using Acclimate.Cli;
using Acclimate.Runtime;
using Acclimate.Pretraining;
using Acclimate.Tests.Training;
using Acclimate.Training;
using TorchSharp;
using Xunit.Abstractions;

namespace Acclimate.Tests.Pretraining;

/// <summary>
/// End-to-end pretraining runs on tiny corpora and tiny models (2 layers, hidden 32, the
/// bert-base-uncased fixture vocabulary): the run folder, learning, exact resume with rehearsal and
/// EWC on, ELECTRA, and every bad input of the issue as a clear error (exit code 2) through the CLI.
/// </summary>
[Collection(TorchGlobalStateCollection.Name)]
public sealed class PretrainingRunTests
{
    internal static readonly string BertTokenizer = TestPaths.Fixture("tokenizers", "bert-base-uncased");
    private readonly ITestOutputHelper _output;

    public PretrainingRunTests(ITestOutputHelper output)
    {
        _output = output;
        TorchRuntime.EnsureInitialized();
    }

    private static readonly string[] Words =
    {
        "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "to", "park", "and", "saw", "bird", "in", "tree", "we", "walked", "home",
        "after", "rain", "stopped", "children", "played", "with", "ball", "near", "river", "old", "man", "read", "book", "quietly",
    };

    /// <summary>A corpus of <paramref name="lines"/> sentences of random words (seeded), one per line.</summary>
    internal static string WriteCorpus(TempFolder folder, string name, int lines, int seed)
    {
        var random = new Random(seed);
        var text = string.Join("\n", Enumerable.Range(0, lines).Select(_ =>
            string.Join(" ", Enumerable.Range(0, random.Next(6, 14)).Select(_ => Words[random.Next(Words.Length)])) + "."));
        var path = folder.File(name);
        File.WriteAllText(path, text + "\n");
        return path;
    }

    internal static string Recipe(TempFolder folder, string body, string runName = "run") => $"""
        run:
          folder: {folder.File(runName)}
          token_cache: {folder.File("tokens")}
        model:
          tokenizer: {BertTokenizer}
          architecture: bert
          hidden_size: 32
          num_layers: 2
          num_heads: 4
          intermediate_size: 48
          max_position_embeddings: 64
        training:
          batch_size: 4
          learning_rate: 1e-3
          log_every: 1
          threads: 1
          seed: 3
        {body}
        """;

    private static Recipe Parse(string yaml, params string[] overrides) => Acclimate.Training.Recipe.Parse(yaml, "test.yaml", overrides);

    [Fact]
    public void HeadWarmupTrainsANewMlmHeadWithTheEncoderFrozen()
    {
        using var temp = TestPaths.NewTempFolder();
        // An encoder-only checkpoint (BertModel: no cls.predictions.*), as 'model fetch' writes.
        var tokenizer = Acclimate.Tokenization.TokenizerLoader.FromFolder(BertTokenizer);
        var encoderFolder = temp.File("encoder");
        TorchSharp.torch.manual_seed(4);
        using (var encoder = Acclimate.Models.ModelFactory.Create(
            Acclimate.Models.EncoderConfig.Create(Acclimate.Models.ModelType.Bert, tokenizer.VocabSize, 32, 2, 4, 48, maxPositions: 64), Acclimate.Models.ModelTask.Base))
            Acclimate.Checkpoints.PretrainedModel.Save(encoder, encoderFolder, tokenizer.SaveTo);
        var train = WriteCorpus(temp, "train.txt", 60, 1);
        var yaml = Recipe(temp, $"""
            data:
              train: {train}
              eval: {train}
              block_size: 16
            """, "warm").Replace($"  tokenizer: {BertTokenizer}", $"  init: {encoderFolder}\n  head_warmup_steps: 30\n  head_warmup_learning_rate: 3e-2");
        var log = new StringWriter();
        // The main phase's learning rate is negligible, so whatever moved the encoder would show.
        var result = new PretrainingRun(Parse(yaml, "training.max_steps=1", "training.learning_rate=1e-12"), log).Execute();
        _output.WriteLine(log.ToString());

        Assert.Contains("head warm-up: 30 updates of the MLM head alone", log.ToString());
        Assert.Contains("cls.predictions.transform.dense.weight", log.ToString());
        var warm = JsonNode.Parse(File.ReadAllText(Path.Combine(result.RunFolder, "head_warmup.json")))!["held_out"]!["domain"]!;
        var (beforePpl, afterPpl) = (warm["perplexity_before"]!.GetValue<double>(), warm["perplexity_after"]!.GetValue<double>());
        Assert.True(afterPpl < beforePpl * 0.5, $"head warm-up: held-out perplexity {beforePpl} → {afterPpl}");
        // The forgetting table starts from the warmed-up model.
        Assert.Equal(afterPpl, result.Forgetting.Single(r => r.Set == "domain").Before.Perplexity, 6);

        using var initial = Acclimate.Checkpoints.SafetensorsFile.Open(Path.Combine(encoderFolder, "model.safetensors"));
        using var final = Acclimate.Checkpoints.SafetensorsFile.Open(Path.Combine(result.ModelFolder, "model.safetensors"));
        foreach (var key in new[] { "embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight", "encoder.layer.1.output.LayerNorm.bias" })
        {
            using var a = initial.ReadTensor(key);
            using var b = final.ReadTensor("bert." + key);
            var moved = (a - b).abs().max().item<float>();
            Assert.True(moved < 1e-6, $"{key} moved by {moved} although the encoder was frozen during the head warm-up");
        }
    }

    [Fact]
    public void ScratchMlmRunLearnsAndWritesACompleteRunFolder()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 60, 1);
        var general = WriteCorpus(temp, "general.txt", 30, 2);
        var yaml = Recipe(temp, $"""
            data:
              train: {train}
              eval: {train}
              block_size: 16
            general:
              eval: {general}
            """, "scratch");
        var log = new StringWriter();
        var result = new PretrainingRun(Parse(yaml, "training.max_steps=30", "training.eval_every=10"), log).Execute();
        _output.WriteLine(log.ToString());

        var run = result.RunFolder;
        foreach (var file in new[] { "recipe.yaml", "metrics.jsonl", "report.md", "forgetting.json", "forgetting-before.json", "plots/loss.png", "model/config.json", "model/model.safetensors", "model/vocab.txt" })
            Assert.True(File.Exists(Path.Combine(run, file)), file + " is missing");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "events")));
        // The saved recipe is complete: it binds again and names every section's defaults.
        var saved = File.ReadAllText(Path.Combine(run, "recipe.yaml"));
        Assert.Contains("mask_probability: 0.15", saved);
        Assert.Contains("max_steps: 30", saved);
        PretrainingRecipe.From(Acclimate.Training.Recipe.Parse(saved, "saved"));

        Assert.Equal(30, result.Training.GlobalStep);
        var domain = result.Forgetting.Single(r => r.Set == "domain");
        var generalRow = result.Forgetting.Single(r => r.Set == "general");
        // From random init (ln 30522 ≈ 10.3 nats) 30 updates on this text lower the held-out loss by about 0.5 nats.
        Assert.True(domain.After.Loss < domain.Before.Loss - 0.3, $"domain loss {domain.Before.Loss} → {domain.After.Loss}");
        Assert.True(generalRow.After.Loss < generalRow.Before.Loss, $"general loss {generalRow.Before.Loss} → {generalRow.After.Loss}");
        Assert.Equal(Math.Exp(domain.After.Loss), domain.After.Perplexity, 9);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "forgetting.json")))!;
        Assert.Equal(domain.After.Perplexity, json["held_out"]!["domain"]!["after_perplexity"]!.GetValue<double>(), 9);
        Assert.Contains("Forgetting report", File.ReadAllText(Path.Combine(run, "report.md")));

        // eval-mlm scores the saved model with the same fixed masks the run's evaluation used.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "eval-mlm", "--model", result.ModelFolder, "--corpus", train, "--block-size", "16", "--token-cache", temp.File("tokens"), "--threads", "1" }, stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains($"loss {domain.After.Loss:F4}", stdout.ToString());
    }

    /// <summary>A recipe built in code (no YAML) runs exactly as the same recipe read from a file.</summary>
    [Fact]
    public void ATypedRecipeRunsLikeItsYamlTwin()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 40, 1);
        var yaml = Recipe(temp, $"""
            data:
              train: {train}
              eval: {train}
              block_size: 16
            """, "from-yaml");
        var fromYaml = new PretrainingRun(Parse(yaml, "training.max_steps=6", "training.eval_every=3")).Execute();

        var typed = new PretrainingRecipe
        {
            Run = new PretrainingRunOptions { Folder = temp.File("typed"), TokenCache = temp.File("tokens") },
            Model = new PretrainingModelOptions { Tokenizer = BertTokenizer, Architecture = Acclimate.Models.ModelType.Bert, HiddenSize = 32, NumLayers = 2, NumHeads = 4, IntermediateSize = 48, MaxPositionEmbeddings = 64 },
            Data = new PretrainingDataOptions { Train = train, Eval = train, BlockSize = 16 },
            Training = new TrainingOptions { BatchSize = 4, LearningRate = 1e-3, LogEvery = 1, Threads = 1, Seed = 3, MaxSteps = 6, EvalEvery = 3 },
        };
        var fromCode = new PretrainingRun(typed).Execute();

        Assert.Equal(fromYaml.Training.GlobalStep, fromCode.Training.GlobalStep);
        var yamlDomain = fromYaml.Forgetting.Single(r => r.Set == "domain");
        var codeDomain = fromCode.Forgetting.Single(r => r.Set == "domain");
        Assert.Equal(yamlDomain.After.Loss, codeDomain.After.Loss);   // same seed, same data: bit for bit
        // The typed run's recipe.yaml binds back to the same recipe.
        var saved = PretrainingRecipe.From(Acclimate.Training.Recipe.Load(Path.Combine(fromCode.RunFolder, "recipe.yaml")));
        Assert.Equal(Acclimate.Training.Recipe.From(typed).ToYaml(), Acclimate.Training.Recipe.From(saved).ToYaml());
        // A value no file could hold fails as it would in a file.
        var bad = typed with { Data = typed.Data with { BlockSize = 0 } };
        Assert.Throws<Acclimate.Errors.ConfigException>(() => new PretrainingRun(bad));
    }

    [Theory]
    [InlineData("rehearsal_domain: 2\n  rehearsal_general: 1")]
    [InlineData("rehearsal_share: 0.3")]
    public void ResumedRunWithRehearsalAndEwcReproducesTheUninterruptedLosses(string rehearsal)
    {
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 40, 1);
        var general = WriteCorpus(temp, "general.txt", 40, 2);
        string Body(string name) => Recipe(temp, $"""
            data:
              train: {train}
              eval: {train}
              block_size: 16
              eval_max_blocks: 8
            general:
              train: {general}
              eval: {general}
            forgetting:
              {rehearsal}
              ewc: 10
              ewc_fisher_batches: 2
              ewc_fisher_file: {temp.File("fisher.safetensors")}
            """, name);
        var options = new[] { "training.max_steps=10", "training.eval_every=5", "training.save_every=5", "training.warmup_steps=2" };

        var full = new PretrainingRun(Parse(Body("full"), options)).Execute();
        Assert.True(File.Exists(temp.File("fisher.safetensors")), "the Fisher file was not written");
        var stopped = new PretrainingRun(Parse(Body("split"), options)) { StopAtStep = 5 }.Execute();
        Assert.Equal(5, stopped.Training.GlobalStep);
        var checkpoint = Path.Combine(temp.File("split"), "checkpoints", "checkpoint-5");
        var resumed = new PretrainingRun(Parse(Body("split"), options.Append("run.resume_from=" + checkpoint).ToArray())).Execute();

        var split = stopped.Training.StepLosses.Concat(resumed.Training.StepLosses).ToList();
        for (var i = 0; i < split.Count; i++) _output.WriteLine($"step {i + 1}: {full.Training.StepLosses[i]:R} {split[i]:R}");
        Assert.Equal(full.Training.StepLosses.Select(BitConverter.DoubleToInt64Bits), split.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(10, full.Training.StepLosses.Distinct().Count());
        // The forgetting report of the resumed run compares against the same "before" as the uninterrupted one.
        Assert.Equal(full.Forgetting.Select(r => (r.Set, r.Before.Loss, r.After.Loss)), resumed.Forgetting.Select(r => (r.Set, r.Before.Loss, r.After.Loss)));
        // forgetting.json records the mixing that ran: 10 micro-batches, 3 general at a 0.3 share, 3 at 2:1.
        var mixing = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(full.RunFolder, "forgetting.json")))!["rehearsal"]!;
        Assert.Equal(10, mixing["micro_batches"]!.GetValue<long>());
        Assert.Equal(3, mixing["general_batches"]!.GetValue<long>());
        Assert.Equal(0.3, mixing["realised_share"]!.GetValue<double>(), 12);
    }

    [Fact]
    public void EwcEstimatesANamedFisherFileThatDoesNotExistYetThenReusesItWithoutGeneralText()
    {
        // A shared Fisher file named in the recipe is estimated by the first run that needs it (from
        // general.train) and read by later runs, which then need no general text at all.
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 40, 1);
        var general = WriteCorpus(temp, "general.txt", 40, 2);
        var fisherFile = temp.File("shared-fisher.safetensors");
        string Body(string name, bool withGeneralTrain) => Recipe(temp, $"""
            data:
              train: {train}
              eval: {train}
              block_size: 16
              eval_max_blocks: 8
            general:
            {(withGeneralTrain ? $"  train: {general}" : "")}
              eval: {general}
            forgetting:
              ewc: 10
              ewc_fisher_batches: 2
              ewc_fisher_file: {fisherFile}
            """, name);
        var options = new[] { "training.max_steps=3" };

        Assert.Throws<Acclimate.Errors.ConfigException>(() => new PretrainingRun(Parse(Body("no-general", withGeneralTrain: false), options)).Execute());
        Assert.False(File.Exists(fisherFile));

        var first = new PretrainingRun(Parse(Body("first", withGeneralTrain: true), options)).Execute();
        Assert.True(File.Exists(fisherFile), "the named Fisher file was not written");
        var written = File.ReadAllBytes(fisherFile);

        var second = new PretrainingRun(Parse(Body("second", withGeneralTrain: false), options)).Execute();
        Assert.Equal(written, File.ReadAllBytes(fisherFile));
        Assert.Equal(first.Training.StepLosses.Select(BitConverter.DoubleToInt64Bits), second.Training.StepLosses.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void ElectraRunResumesExactlyAndSavesTheDiscriminatorAsAnHfFolder()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 40, 4);
        string Body(string name) => Recipe(temp, $"""
            objective:
              kind: electra
            data:
              train: {train}
              eval: {train}
              block_size: 16
              eval_max_blocks: 8
            """, name).Replace("architecture: bert", "architecture: electra").Replace("num_heads: 4", "num_heads: 2");
        var options = new[] { "training.max_steps=6", "training.save_every=3" };
        var full = new PretrainingRun(Parse(Body("full"), options)).Execute();
        new PretrainingRun(Parse(Body("split"), options)) { StopAtStep = 3 }.Execute();
        var resumed = new PretrainingRun(Parse(Body("split"), options.Append("run.resume_from=" + Path.Combine(temp.File("split"), "checkpoints", "checkpoint-3")).ToArray())).Execute();
        Assert.Equal(full.Training.StepLosses.Skip(3).Select(BitConverter.DoubleToInt64Bits), resumed.Training.StepLosses.Select(BitConverter.DoubleToInt64Bits));

        Assert.NotNull(full.FinalElectra);
        // Both halves of ELECTRA's loss are logged beside the weighted total.
        var logged = MetricsLog.Read(Path.Combine(full.RunFolder, "metrics.jsonl")).Where(m => m.Values.ContainsKey("loss")).ToList();
        Assert.NotEmpty(logged);
        Assert.All(logged, m => Assert.True(m.Values.ContainsKey("loss_generator") && m.Values.ContainsKey("loss_discriminator"),
            $"step {m.Step}: logged {string.Join(", ", m.Values.Keys)}"));
        Assert.All(logged, m => Assert.True(m.Values["loss_generator"] > 0 && m.Values["loss_discriminator"] > 0));
        Assert.InRange(full.FinalElectra!.DiscriminatorAccuracy, 0, 1);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(full.ModelFolder, "config.json")))!;
        Assert.Equal("ElectraForPreTraining", config["architectures"]![0]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(full.ModelFolder, "generator", "model.safetensors")));
        // The discriminator folder loads as a fine-tuning encoder.
        var (model, report) = Acclimate.Checkpoints.PretrainedModel.Load(full.ModelFolder, Acclimate.Models.ModelTask.TokenClassification, new[] { "A", "B" });
        using (model)
            Assert.DoesNotContain(report.MissingKeys, k => k.StartsWith("electra.", StringComparison.Ordinal));
    }

    [Fact]
    public void AlbertSopRunTrainsOnSentencePairsFromTheSameDocument()
    {
        using var temp = TestPaths.NewTempFolder();
        // Documents of several sentences each (one document per line), so SOP has consecutive segments to order.
        var lines = Enumerable.Range(0, 12).Select(i => string.Join(" ", File.ReadAllLines(WriteCorpus(temp, $"s{i}.txt", 4, i)))).ToArray();
        var train = temp.File("docs.txt");
        File.WriteAllLines(train, lines);
        var yaml = Recipe(temp, $"""
            objective:
              kind: mlm_sop
            data:
              train: {train}
              block_size: 32
            """).Replace("architecture: bert", "architecture: albert\n  embedding_size: 16");
        var log = new StringWriter();
        var result = new PretrainingRun(Parse(yaml, "training.max_steps=3"), log).Execute();
        Assert.Matches(@"mlm_sop: \d+ sentence pairs from 12 documents", log.ToString());
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(result.ModelFolder, "config.json")))!;
        Assert.Equal("AlbertForPreTraining", config["architectures"]![0]!.GetValue<string>());
        // An NSP objective on an ALBERT model is refused before any work.
        var e = Assert.Throws<Acclimate.Errors.ConfigException>(() => new PretrainingRun(Parse(yaml.Replace("kind: mlm_sop", "kind: mlm_nsp"), "training.max_steps=1")).Execute());
        Assert.Contains("needs a BERT model", e.Message);
    }

    [Fact]
    public void ATrainingTimeBudgetEndsTheRunLikeAFinishedOne()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 40, 1);
        var yaml = Recipe(temp, $"""
            data:
              train: {train}
              eval: {train}
              block_size: 16
            """);
        // Any update takes more than a nanosecond, so the budget ends the run after its first update.
        var result = new PretrainingRun(Parse(yaml, "training.max_steps=50", "training.log_every=20", "run.max_train_seconds=1e-9")).Execute();
        Assert.Equal(1, result.Training.GlobalStep);
        // The last update is logged and evaluated like a run's final one, though it is not a multiple of log_every.
        var records = MetricsLog.Read(Path.Combine(result.RunFolder, "metrics.jsonl"));
        Assert.Contains(records, r => r.Step == 1 && r.Values.ContainsKey("loss"));
        Assert.Contains(records, r => r.Step == 1 && r.Values.ContainsKey("eval_loss"));
        Assert.True(File.Exists(Path.Combine(result.ModelFolder, "model.safetensors")));
        Assert.Single(result.Forgetting);
    }

    // ---- bad input: each a clear error, exit code 2, no crash -------------------------------------

    private static (int Code, string Error) Pretrain(TempFolder temp, string yaml, params string[] overrides)
    {
        var path = temp.File("recipe.yaml");
        File.WriteAllText(path, yaml);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "pretrain", "--config", path }.Concat(overrides).ToArray(), stdout, stderr);
        return (code, stderr.ToString());
    }

    private static string DataOnly(TempFolder temp, string train, int blockSize = 16) => Recipe(temp, $"""
        data:
          train: {train}
          block_size: {blockSize}
        """);

    [Fact]
    public void EmptyCorpusIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var empty = temp.File("empty.txt");
        File.WriteAllText(empty, "\n   \n\n");
        var (code, error) = Pretrain(temp, DataOnly(temp, empty), "training.max_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("empty corpus", error);
        Assert.Contains(empty, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void BinaryFileIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var binary = temp.File("weights.bin");
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        bytes[10] = 0;
        File.WriteAllBytes(binary, bytes);
        var (code, error) = Pretrain(temp, DataOnly(temp, binary), "training.max_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("binary", error);
        Assert.Contains(binary, error);
    }

    [Fact]
    public void LineLongerThanOneMegabyteIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("long.txt");
        File.WriteAllText(path, "short first line\n" + new string('a', (1 << 20) + 10) + "\nlast\n");
        var (code, error) = Pretrain(temp, DataOnly(temp, path), "training.max_steps=2");
        Assert.Equal(2, code);
        Assert.Contains($"{path}:2: line longer than 1,048,576 characters", error);
    }

    [Fact]
    public void CorpusSmallerThanOneBlockIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = temp.File("tiny.txt");
        File.WriteAllText(path, "just a few words here.\n");
        var (code, error) = Pretrain(temp, DataOnly(temp, path, blockSize: 64), "training.max_steps=2");
        Assert.Equal(2, code);
        Assert.Contains("less than one block of 64", error);
    }

    [Fact]
    public void CorpusSmallerThanOneBatchIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var path = WriteCorpus(temp, "few.txt", 3, 1);
        var (code, error) = Pretrain(temp, DataOnly(temp, path), "training.max_steps=2", "training.batch_size=64");
        Assert.Equal(2, code);
        Assert.Contains("fewer than one batch of 64", error);
    }

    [Fact]
    public void VocabularyModelSizeMismatchIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 30, 1);
        // A model folder whose vocab_size (1000) is smaller than the tokenizer's 30,522 ids.
        var modelFolder = temp.File("small-vocab-model");
        var config = Acclimate.Models.EncoderConfig.Create(Acclimate.Models.ModelType.Bert, 1000, 32, 1, 4, 48, maxPositions: 64);
        using (var model = Acclimate.Models.ModelFactory.Create(config, Acclimate.Models.ModelTask.MaskedLM))
            Acclimate.Checkpoints.PretrainedModel.Save(model, modelFolder);
        var yaml = DataOnly(temp, train) + $"\n" ;
        var (code, error) = Pretrain(temp, yaml, "training.max_steps=2", "model.init=" + modelFolder);
        Assert.Equal(2, code);
        Assert.Contains("the tokenizer has 30522 ids but the model's vocab_size is 1000", error);
    }

    [Fact]
    public void RecipeWithAnUnknownKeyIsAClearError()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 30, 1);
        var yaml = DataOnly(temp, train).Replace("  block_size: 16", "  block_size: 16\n  blok_mode: packed");
        var (code, error) = Pretrain(temp, yaml);
        Assert.Equal(2, code);
        Assert.Matches(@"recipe\.yaml:\d+:\d+: unknown key 'data\.blok_mode'", error);
        Assert.Contains("block_mode", error);   // the valid keys are listed

        var (sectionCode, sectionError) = Pretrain(temp, DataOnly(temp, train) + "\noptimiser:\n  lr: 1\n");
        Assert.Equal(2, sectionCode);
        Assert.Contains("unknown section 'optimiser'", sectionError);
    }

    // ---- training.device / --device ----------------------------------------------------------------

    [Fact]
    public void AskingForCudaOnAMachineWithoutItIsAClearErrorNotASilentCpuRun()
    {
        if (torch.cuda.is_available()) return;   // only meaningful without CUDA (every machine we test on)
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 30, 1);
        var (code, error) = Pretrain(temp, DataOnly(temp, train), "training.max_steps=2", "--device", "cuda");
        Assert.Equal(2, code);
        Assert.Contains("training.device cuda", error);
        Assert.Contains("CUDA is not available", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(temp.File("run")), "nothing may be trained or written when the device is refused");

        // The recipe key is honoured the same way (the flag only overrides it).
        var fromRecipe = Assert.Throws<Acclimate.Errors.ConfigException>(() =>
            new PretrainingRun(Parse(DataOnly(temp, train), "training.max_steps=2", "training.device=cuda:0")).Execute());
        Assert.Contains("training.device cuda:0", fromRecipe.Message);
    }

    [Fact]
    public void DeviceAutoTrainsOnTheCpuHere()
    {
        using var temp = TestPaths.NewTempFolder();
        var train = WriteCorpus(temp, "train.txt", 30, 1);
        var path = temp.File("recipe.yaml");
        File.WriteAllText(path, DataOnly(temp, train));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = CliApp.Run(new[] { "pretrain", "--config", path, "--device", "auto", "training.max_steps=2" }, stdout, stderr);
        Assert.True(code == 0, stdout.ToString() + stderr);
        Assert.Contains(torch.cuda.is_available() ? "device: cuda" : "device: cpu", stdout.ToString());
        Assert.True(File.Exists(Path.Combine(temp.File("run"), "model", "model.safetensors")));
        Assert.Matches("device: \"?auto\"?", File.ReadAllText(Path.Combine(temp.File("run"), "recipe.yaml")));
    }
}
