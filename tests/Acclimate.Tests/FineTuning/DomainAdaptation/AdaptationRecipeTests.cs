using Acclimate.Adaptation.FeatureAlignment;
using Acclimate.Data.Datasets;
using Acclimate.Errors;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Tests.Training;
using Acclimate.Training;

namespace Acclimate.Tests.FineTuning.DomainAdaptation;

/// <summary>The adaptation / adversarial / mixup recipe sections and data.train_weights: what binds, and the errors for what does not.</summary>
public sealed class AdaptationRecipeTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _target;
    private readonly string _train;

    public AdaptationRecipeTests()
    {
        _target = _temp.File("target.txt");
        File.WriteAllText(_target, "some target text\nmore of it\n");
        _train = _temp.File("train.conll");
        File.WriteAllText(_train, "John\tB-PER\nran\tO\n\nMary\tB-PER\n");
    }

    public void Dispose() => _temp.Dispose();

    private FineTuneRecipe Bind(string sections, string model = "")
    {
        var yaml = $"model:\n  encoder: enc\n{model}data:\n  train: {_train}\n  dev: {_train}\n{sections}";
        return FineTuneRecipe.From(Recipe.Parse(yaml, "r.yaml"));
    }

    private ConfigException Fails(string sections, string model = "") => Assert.Throws<ConfigException>(() => Bind(sections, model));

    [Fact]
    public void Mmd_and_dann_together_bind_with_their_values()
    {
        var r = Bind($"adaptation:\n  target_text: {_target}\n  mmd: {{ weight: 0.1, kernel: single }}\n  dann: {{ weight: 0.2, lambda: 0.5, schedule: constant, hidden: 8 }}\n" +
            "adversarial:\n  method: pgd\n  epsilon: 0.5\n  steps: 2\n  alpha: 0.1\n");
        Assert.True(r.Adaptation.Enabled);
        Assert.Equal(0.1, r.Adaptation.Mmd.Weight);
        Assert.Equal(MmdKernel.Single, r.Adaptation.Mmd.Kernel);
        Assert.Equal(new[] { 1.0 }, r.Adaptation.Mmd.Multipliers);
        Assert.Equal(DannSchedule.Constant, r.Adaptation.Dann.Schedule);
        Assert.Equal(8, r.Adaptation.Dann.Hidden);
        Assert.Equal(AdversarialMethod.Pgd, r.Adversarial.Method);
        Assert.Equal(2, r.Adversarial.Steps);
        // Absent sections are off.
        var plain = Bind("");
        Assert.False(plain.Adaptation.Enabled);
        Assert.Equal(AdversarialMethod.None, plain.Adversarial.Method);
        Assert.False(plain.Mixup.Enabled);
    }

    [Fact]
    public void An_unknown_key_names_the_file_line_and_the_valid_keys()
    {
        var e = Fails($"adaptation:\n  target_text: {_target}\n  mmd:\n    weight: 0.1\n    kernal: multi\n");
        Assert.Contains("r.yaml:10", e.Message);
        Assert.Contains("'adaptation.mmd.kernal'", e.Message);
        Assert.Contains("kernel", e.Message);
        var section = Fails("adversary:\n  method: fgm\n");
        Assert.Contains("unknown section 'adversary'", section.Message);
    }

    [Theory]
    [InlineData("mmd: { weight: -0.1 }", "mmd.weight must be a finite number >= 0 (got -0.1)")]
    [InlineData("dann: { weight: -1 }", "dann.weight must be a finite number >= 0 (got -1)")]
    [InlineData("dann: { weight: 1, lambda: -2 }", "dann.lambda must be a finite number >= 0")]
    [InlineData("dann: { weight: 1, hidden: 0 }", "dann.hidden must be >= 1")]
    public void Negative_weights_and_bad_dann_settings_are_errors(string setting, string expected)
    {
        var e = Fails($"adaptation:\n  target_text: {_target}\n  {setting}\n");
        Assert.Contains(expected, e.Message);
        Assert.Contains("r.yaml", e.Message);
    }

    [Fact]
    public void A_missing_target_file_or_no_target_file_is_an_error()
    {
        var missing = Fails($"adaptation:\n  target_text: {_temp.File("nope.txt")}\n  mmd: {{ weight: 0.1 }}\n");
        Assert.Contains("nope.txt': file not found", missing.Message);
        Assert.Contains("'adaptation'", missing.Message);
        var none = Fails("adaptation:\n  dann: { weight: 0.1 }\n");
        Assert.Contains("need target_text", none.Message);
        var unused = Fails($"adaptation:\n  target_text: {_target}\n");
        Assert.Contains("no loss uses it", unused.Message);
    }

    [Fact]
    public void Pgd_without_steps_and_steps_without_pgd_are_errors()
    {
        Assert.Contains("method pgd needs steps >= 1", Fails("adversarial:\n  method: pgd\n  epsilon: 1.0\n").Message);
        Assert.Contains("steps applies to pgd only", Fails("adversarial:\n  method: fgm\n  steps: 3\n").Message);
        Assert.Contains("epsilon must be a finite number > 0", Fails("adversarial:\n  method: fgm\n  epsilon: 0\n").Message);
        Assert.Contains("'fgn'", Fails("adversarial:\n  method: fgn\n").Message);
    }

    [Fact]
    public void Mixup_on_token_classification_is_an_error_and_binds_for_sequence_classification()
    {
        var e = Fails("mixup: { alpha: 0.4 }\n");
        Assert.Contains("mixup", e.Message);
        Assert.Contains("sequence_classification", e.Message);
        Assert.Contains("token_classification", e.Message);
        Assert.Contains("alpha must be a finite number >= 0", Fails("mixup: { alpha: -1 }\n").Message);
        var r = Bind("mixup: { alpha: 0.4 }\n", model: "  task: sequence_classification\n");
        Assert.Equal(0.4, r.Mixup.Alpha);
    }

    [Fact]
    public void Train_weights_must_exist_and_are_token_classification_only()
    {
        var missing = Assert.Throws<ConfigException>(() => FineTuneRecipe.From(Recipe.Parse(
            $"model:\n  encoder: enc\ndata:\n  train: {_train}\n  dev: {_train}\n  train_weights: {_temp.File("nope.txt")}\n", "r.yaml")));
        Assert.Contains("train_weights", missing.Message);
        Assert.Contains("nope.txt': file not found", missing.Message);
        var weights = _temp.File("w.txt");
        File.WriteAllText(weights, "1\n2\n");
        var cls = Assert.Throws<ConfigException>(() => FineTuneRecipe.From(Recipe.Parse(
            $"model:\n  encoder: enc\n  task: sequence_classification\ndata:\n  format: classification\n  train: {_train}\n  dev: {_train}\n  train_weights: {weights}\n", "r.yaml")));
        Assert.Contains("token classification only", cls.Message);
    }

    [Fact]
    public void Sample_weights_are_matched_to_sentences_by_line_and_bad_files_name_file_and_line()
    {
        var options = new FineTuneDataOptions { Train = _train, Dev = _train };
        var full = TaggingDataset.ReadFile(_train, options);
        var weights = _temp.File("w.txt");
        File.WriteAllText(weights, "0.5\t# John ran\n2\n");
        Assert.Equal(new[] { 0.5, 2.0 }, SampleWeightsFile.ForSentences(weights, full, full));
        // A subsample keeps each sentence's own weight.
        Assert.Equal(new[] { 2.0 }, SampleWeightsFile.ForSentences(weights, full, new[] { full[1] }));
        File.WriteAllText(weights, "0.5\n");
        Assert.Contains("1 weights for 2 sentences", Assert.Throws<DataException>(() => SampleWeightsFile.ForSentences(weights, full, full)).Message);
        File.WriteAllText(weights, "0.5\n-1\n");
        Assert.Contains("w.txt:2: '-1' is not a sample weight", Assert.Throws<DataException>(() => SampleWeightsFile.Read(weights)).Message);
        File.WriteAllText(weights, "abc\n1\n");
        Assert.Contains("w.txt:1: 'abc'", Assert.Throws<DataException>(() => SampleWeightsFile.Read(weights)).Message);
    }
}
