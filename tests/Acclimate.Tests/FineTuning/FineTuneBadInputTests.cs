using Acclimate.Data.Datasets;
using Acclimate.Data.Tagging;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Tests.Training;

namespace Acclimate.Tests.FineTuning;

public sealed class FineTuneBadInputTests
{
    private static FineTuneDataOptions Conll(string path) => new() { Format = DatasetFormat.Conll, Train = path, Dev = path };

    [Fact]
    public void A_dev_tag_missing_from_the_training_label_set_names_file_line_and_tag()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("train.conll"), "John\tB-PER\nran\tO\n");
        File.WriteAllText(temp.File("dev.conll"), "Paris\tO\n\nin\tO\nRome\tB-LOC\n");
        var options = Conll(temp.File("train.conll"));
        var space = TagSpace.ForTraining(TaggingDataset.ReadFile(temp.File("train.conll"), options), TaggingScheme.IOB2, TaggingScheme.IOB2);
        var e = Assert.Throws<DataException>(() => space.CheckCovered(TaggingDataset.ReadFile(temp.File("dev.conll"), options)));
        Assert.Contains("dev.conll:4:", e.Message);
        Assert.Contains("'B-LOC'", e.Message);
        Assert.Contains("Rome", e.Message);
    }

    [Fact]
    public void A_tag_outside_the_scheme_is_an_error_naming_file_and_line()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("d.conll"), "John\tB-PER\nran\tE-PER\n");
        var e = Assert.Throws<DataException>(() => TaggingDataset.ReadFile(temp.File("d.conll"), Conll(temp.File("d.conll"))));
        Assert.Contains("d.conll:2:", e.Message);
        Assert.Contains("'E-PER'", e.Message);
    }

    [Fact]
    public void A_conll_line_with_the_wrong_number_of_columns_names_file_and_line()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("d.conll"), "John NNP B-PER\nlives VBZ O\nin O\n");
        var e = Assert.Throws<DataException>(() => TaggingDataset.ReadFile(temp.File("d.conll"), Conll(temp.File("d.conll"))));
        Assert.Contains("d.conll:3", e.Message);
    }

    [Fact]
    public void An_empty_dataset_is_an_error()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("empty.conll"), "\n\n");
        var e = Assert.Throws<DataException>(() => TaggingDataset.ReadFile(temp.File("empty.conll"), Conll(temp.File("empty.conll"))));
        Assert.Contains("empty.conll", e.Message);
        Assert.Throws<DataException>(() => TaggingDataset.Subsample(Array.Empty<int>(), 0, 1, "nothing"));
    }

    [Theory]
    [InlineData("{\"text\": \"abcdef\", \"label\": {\"X\": {\"abc\": [[0, 2]]}, \"Y\": {\"cd\": [[2, 3]]}}}", "overlaps")]
    [InlineData("{\"text\": \"abc\", \"label\": {\"X\": {\"cdef\": [[2, 5]]}}}", "does not fit the text")]
    public void Span_labels_that_overlap_or_leave_the_text_are_errors(string line, string expected)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("s.jsonl"), line + "\n");
        var options = new FineTuneDataOptions { Format = DatasetFormat.SpanJsonl, Train = temp.File("s.jsonl"), Dev = temp.File("s.jsonl") };
        var e = Assert.Throws<DataException>(() => TaggingDataset.ReadFile(temp.File("s.jsonl"), options));
        Assert.Contains("s.jsonl:1", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Chunk_slices_stay_legal_in_the_scheme()
    {
        var space = new TagSpace(TaggingScheme.IOB2, TaggingScheme.IOBES, TagTransitions.LabelsFor(TaggingScheme.IOBES, new[] { "PER" }));
        var tags = space.ToModel(new[] { "B-PER", "I-PER", "I-PER", "O" });
        Assert.Equal(new[] { "B-PER", "I-PER", "E-PER", "O" }, tags);
        // An entity cut at word 2 keeps its part inside each piece, re-encoded.
        Assert.Equal(new[] { "B-PER", "E-PER" }, space.Slice(tags, 0, 2));
        Assert.Equal(new[] { "S-PER", "O" }, space.Slice(tags, 2, 4));
        Assert.Equal(new[] { "B-PER", "I-PER", "I-PER", "O" }, space.ToFile(tags));
    }
}

[Collection(TorchGlobalStateCollection.Name)]
public sealed class FineTuneCliBadInputTests : IClassFixture<FineTuneCliFixtureHolder>
{
    private readonly FineTuneCliFixture _f;

    public FineTuneCliBadInputTests(FineTuneCliFixtureHolder holder) => _f = holder.Fixture;

    [Fact]
    public void Finetune_reports_an_unknown_dev_tag_with_exit_code_2()
    {
        var dev = _f.Temp.File("bad-dev.conll");
        File.WriteAllText(dev, "Rome\tB-CITY\n");
        var code = FineTuneCliFixture.Run(out _, out var errors, "finetune", "--config", _f.Recipe("badtag"), "--set", $"data.dev={dev}", "--run-dir", _f.Temp.File("bad-run"));
        Assert.Equal(2, code);
        Assert.Contains("bad-dev.conll:1:", errors);
        Assert.Contains("B-CITY", errors);
    }

    [Fact]
    public void Finetune_reports_an_unknown_recipe_key_with_its_line()
    {
        var recipe = _f.Temp.File("typo.yaml");
        File.WriteAllText(recipe, "model:\n  encoder: x\n  heads: linear\n");
        var code = FineTuneCliFixture.Run(out _, out var errors, "finetune", "--config", recipe);
        Assert.Equal(2, code);
        Assert.Contains("typo.yaml:3", errors);
        Assert.Contains("heads", errors);
    }

    [Fact]
    public void Finetune_rejects_a_metric_the_tagger_does_not_report_before_training()
    {
        var code = FineTuneCliFixture.Run(out _, out var errors, "finetune", "--config", _f.Recipe("badmetric"), "--set", "training.metric_for_best=bleu", "--run-dir", _f.Temp.File("badmetric-run"));
        Assert.Equal(2, code);
        Assert.Contains("'bleu'", errors);
        Assert.Contains("strict_f1", errors);
    }

    [Fact]
    public void Finetune_rejects_a_metric_the_classifier_does_not_report_before_training()
    {
        var data = _f.Temp.File("badmetric-cls.jsonl");
        File.WriteAllText(data, "{\"text\": \"good\", \"label\": \"pos\"}\n{\"text\": \"bad\", \"label\": \"neg\"}\n");
        var run = _f.Temp.File("badmetric-cls-run");
        var code = FineTuneCliFixture.Run(out _, out var errors, "finetune", "--config", _f.Recipe("badmetric-cls", model: "task: sequence_classification"),
            "--set", "training.metric_for_best=f1", "--set", "data.format=classification", "--set", $"data.train={data}", "--set", $"data.dev={data}", "--set", $"data.test={data}", "--run-dir", run);
        Assert.Equal(2, code);
        Assert.Contains("'f1'", errors);
        Assert.Contains("weighted_f1", errors);
        Assert.False(Directory.Exists(Path.Combine(run, "checkpoints")));
    }

    [Fact]
    public void Finetune_with_device_cuda_on_a_machine_without_cuda_is_a_clear_error_not_a_cpu_run()
    {
        if (TorchSharp.torch.cuda.is_available()) return;   // only meaningful without CUDA (every machine we test on)
        var run = _f.Temp.File("cuda-run");
        var code = FineTuneCliFixture.Run(out _, out var errors, "finetune", "--config", _f.Recipe("cuda"), "--device", "cuda", "--run-dir", run);
        Assert.Equal(2, code);
        Assert.Contains("training.device cuda", errors);
        Assert.Contains("CUDA is not available", errors);
        Assert.DoesNotContain("   at ", errors);
        Assert.False(Directory.Exists(Path.Combine(run, "best-model")));
        Assert.False(Directory.Exists(Path.Combine(run, "checkpoints")));

        // Sequence classification reads the same option (here from the recipe).
        var data = _f.Temp.File("cuda-cls.jsonl");
        File.WriteAllText(data, "{\"text\": \"good\", \"label\": \"pos\"}\n{\"text\": \"bad\", \"label\": \"neg\"}\n");
        var clsRun = _f.Temp.File("cuda-cls-run");
        var clsCode = FineTuneCliFixture.Run(out _, out var clsErrors, "finetune", "--config", _f.Recipe("cuda-cls", model: "task: sequence_classification", training: "device: cuda:0"),
            "--set", "data.format=classification", "--set", $"data.train={data}", "--set", $"data.dev={data}", "--set", $"data.test={data}", "--run-dir", clsRun);
        Assert.Equal(2, clsCode);
        Assert.Contains("training.device cuda:0", clsErrors);
        Assert.False(Directory.Exists(Path.Combine(clsRun, "best-model")));
    }

    [Fact]
    public void Finetune_with_device_cpu_trains_and_records_the_device_in_the_saved_recipe()
    {
        var run = _f.Temp.File("cpu-run");
        var code = FineTuneCliFixture.Run(out var output, out var errors, "finetune", "--config", _f.Recipe("cpu"), "--device", "cpu", "--run-dir", run);
        Assert.True(code == 0, output + errors);
        Assert.True(Directory.Exists(Path.Combine(run, "best-model")));
        Assert.Matches("device: \"?cpu\"?", File.ReadAllText(Path.Combine(run, "recipe.yaml")));
    }

    [Fact]
    public void Evaluate_predict_and_eval_mlm_refuse_cuda_on_a_machine_without_it()
    {
        if (TorchSharp.torch.cuda.is_available()) return;   // only meaningful without CUDA (every machine we test on)
        var texts = _f.Temp.File("device-texts.txt");
        File.WriteAllText(texts, "some text\n");
        foreach (var args in new[]
        {
            new[] { "evaluate", "--model", _f.Encoder, "--data", _f.Conll, "--device", "cuda" },
            new[] { "predict", "--model", _f.Encoder, "--input", texts, "--device", "cuda" },
            new[] { "eval-mlm", "--model", _f.Encoder, "--corpus", texts, "--device", "cuda", "--token-cache", _f.Temp.File("device-tokens") },
        })
        {
            var code = FineTuneCliFixture.Run(out _, out var errors, args);
            Assert.True(code == 2, args[0] + ": " + errors);
            Assert.Contains("--device cuda", errors);
            Assert.Contains("CUDA is not available", errors);
        }
    }
}
