using Acclimate.Checkpoints;
using Acclimate.Errors;

namespace Acclimate.Training;

/// <summary>
/// Uniform checkpoint averaging: θ = (1/k)·Σ θᵢ over the last k checkpoints of a run (or any list of
/// checkpoint or model folders of one architecture). The result is a model folder (weights averaged,
/// config, tokenizer and other files from the newest checkpoint), not a resumable checkpoint: the
/// optimizer state and trainer_state.json are left out.
/// </summary>
public static class CheckpointAveraging
{
    /// <summary>
    /// Averages the newest <paramref name="last"/> checkpoints (<c>checkpoints/checkpoint-&lt;step&gt;</c>)
    /// of the run in <paramref name="runFolder"/> (the run folder or its checkpoints folder) into
    /// <paramref name="outputFolder"/>.
    /// </summary>
    /// <param name="runFolder">A run folder (holding checkpoints/) or its checkpoints folder.</param>
    /// <param name="last">How many of the newest checkpoints to average (at least 1, at most the number kept).</param>
    /// <param name="outputFolder">The folder to write; it must not exist unless <paramref name="overwrite"/>.</param>
    /// <param name="overwrite">Replace an existing <paramref name="outputFolder"/>.</param>
    /// <exception cref="ConfigException">The run folder is missing or holds fewer than <paramref name="last"/> checkpoints.</exception>
    /// <exception cref="CheckpointException">The checkpoints differ (see <see cref="Average(IReadOnlyList{string}, string, bool)"/>) or the output exists.</exception>
    public static WeightCombinationResult Average(string runFolder, int last, string outputFolder, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(runFolder);
        if (!Directory.Exists(runFolder)) throw new ConfigException($"{runFolder}: run folder not found.");
        if (last < 1) throw new ConfigException($"--last {last}: expected at least 1 checkpoint.");
        var checkpointsFolder = Path.Combine(runFolder, "checkpoints");
        var all = CheckpointStore.List(Directory.Exists(checkpointsFolder) ? checkpointsFolder : runFolder);
        if (all.Count < last)
            throw new ConfigException($"{runFolder}: asked to average the last {last} checkpoints but the run has {all.Count}" +
                                      (all.Count > 0 ? $" ({string.Join(", ", all.Select(c => Path.GetFileName(c.Path)))})" : " (no checkpoints/checkpoint-<step> folders)") +
                                      "; lower --last or keep more checkpoints (training.keep_last).");
        return Average(all.Skip(all.Count - last).Select(c => c.Path).ToList(), outputFolder, overwrite);
    }

    /// <summary>
    /// Averages the given checkpoint or model folders uniformly into <paramref name="outputFolder"/>;
    /// the non-weight files are copied from the last folder given. Floating tensors are averaged in
    /// float64 and written in their stored dtype.
    /// </summary>
    /// <param name="checkpointFolders">The folders to average (at least one).</param>
    /// <param name="outputFolder">The folder to write; it must not exist unless <paramref name="overwrite"/>.</param>
    /// <param name="overwrite">Replace an existing <paramref name="outputFolder"/>.</param>
    /// <exception cref="CheckpointException">A folder is missing; the folders differ in weight files, tensor
    /// names, shapes or dtypes (the first difference named), config sizes or vocabulary files; or the
    /// output exists. Nothing is written then.</exception>
    public static WeightCombinationResult Average(IReadOnlyList<string> checkpointFolders, string outputFolder, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(checkpointFolders);
        if (checkpointFolders.Count == 0) throw new ConfigException("no checkpoints to average; give at least one folder.");
        var weight = 1.0 / checkpointFolders.Count;
        var roles = checkpointFolders.Select(f => Path.GetFileName(Path.TrimEndingDirectorySeparator(f))).ToList();
        return WeightSpaceCombination.Combine(checkpointFolders, checkpointFolders.Select(_ => weight).ToList(), roles,
            template: checkpointFolders.Count - 1, outputFolder, overwrite);
    }
}
