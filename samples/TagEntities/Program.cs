using Acclimate.FineTuning;
using Acclimate.FineTuning.Recipes;
using Acclimate.FineTuning.Tagging;
using Acclimate.FineTuning.Classification;
using Acclimate.FineTuning.ModelSelection;
using Acclimate.Training;

namespace Acclimate.Samples;

/// <summary>Fine-tunes a CRF tagger on CoNLL files from a typed recipe, then tags raw text with character offsets.</summary>
public static class TagEntities
{
    // dotnet run --project samples/TagEntities -- ENCODER_FOLDER TRAIN.conll DEV.conll "text to tag" [EPOCHS]
    public static int Main(string[] args)
    {
        if (args.Length < 4) { Console.Error.WriteLine("usage: TagEntities ENCODER_FOLDER TRAIN.conll DEV.conll TEXT [EPOCHS]"); return 2; }
        var (encoder, train, dev, text) = (args[0], args[1], args[2], args[3]);
        var recipe = new FineTuneRecipe(
            new FineTuneModelOptions { Encoder = encoder, Crf = true, MaxLength = 64 },
            new FineTuneDataOptions { Format = DatasetFormat.Conll, Train = train, Dev = dev, Scheme = "bio" },
            new TrainingOptions { Epochs = args.Length > 4 ? int.Parse(args[4]) : 3, LearningRate = 5e-5, BatchSize = 16 },
            new FineTuneOptimizerOptions { HeadLearningRate = 1e-3, CrfLearningRate = 1e-2 },
            new FineTuneOutputOptions { Dir = Path.Combine(Path.GetTempPath(), "acclimate-sample"), Name = "tagger" },
            new CrossValidationOptions(),
            new PseudoLabelOptions());
        var result = new FineTuningRun(recipe, RunFolder.Create(recipe.Output.Dir, recipe.Output.Name)).Execute();
        Console.WriteLine($"best model: {result.BestModelFolder} (dev F1 {result.Dev["f1"]:F4})");

        using var tagger = TaggerEnsemble.Load(new[] { result.BestModelFolder });
        foreach (var entity in TextEntities.Predict(tagger, new[] { text })[0])
            Console.WriteLine($"{entity.Type}\t[{entity.Start}, {entity.End})\t{entity.Text}");
        return 0;
    }
}
