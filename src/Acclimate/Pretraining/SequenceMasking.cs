namespace Acclimate.Pretraining;

/// <summary>
/// The masking of one sequence, before padding: the ids the model sees, HF labels (original id at
/// selected positions, -100 elsewhere) and what was done at each position.
/// </summary>
internal sealed record SequenceMasking(int[] InputIds, int[] Labels, MaskAction[] Actions)
{
    public int SelectedCount => Actions.Count(a => a != MaskAction.None);
}
