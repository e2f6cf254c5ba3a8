using System.Globalization;
using Acclimate.FineTuning.Recipes;
using Acclimate.Models;
using Acclimate.Models.Lora;
using Acclimate.Training;

namespace Acclimate.FineTuning;

/// <summary>
/// The <c>lora:</c> section of a fine-tuning recipe, applied the same way by every task: adapters
/// on the encoder (the task head, CRF included, always trains), and a training target that saves
/// merged folders with the adapter beside them. The best model stays a merged folder (prediction,
/// evaluation and ensembles read it as any other); with <c>lora.save: merged</c> its <c>adapter/</c>
/// subfolder is removed at the end, with <c>adapter</c> or <c>both</c> it is kept.
/// </summary>
internal static class LoraFineTuning
{
    /// <summary>Adapts <paramref name="model"/> when the recipe asks for LoRA (call before building the optimizer); else returns <paramref name="inner"/>.</summary>
    public static ITrainableModel Apply(FineTuneRecipe recipe, TransformerModel model, ITrainableModel inner, TextWriter? log)
    {
        if (!recipe.Lora.Enabled) return inner;
        var lora = LoraModel.Apply(model, recipe.Lora.ToSpec(trainHead: true));
        var (trained, total) = lora.ParameterCounts();
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"lora: rank {recipe.Lora.Rank}, alpha {recipe.Lora.Alpha}, {lora.TargetKeys.Count} adapted layers; {trained:N0} of {total:N0} parameters train ({100.0 * trained / total:0.##} %)"));
        return new LoraTrainableModel(inner, lora, recipe.Model.Encoder);
    }

    /// <summary>Drops the best model's adapter subfolder unless the recipe keeps it.</summary>
    public static void Finish(FineTuneRecipe recipe, string bestModelFolder)
    {
        if (!recipe.Lora.Enabled || recipe.Lora.Save != LoraSaveMode.Merged) return;
        var adapter = Path.Combine(bestModelFolder, LoraTrainableModel.AdapterFolderName);
        if (Directory.Exists(adapter)) Directory.Delete(adapter, recursive: true);
    }
}
