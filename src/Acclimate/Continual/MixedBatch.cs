namespace Acclimate.Continual;

/// <summary>One step of a rehearsal mix: the global step, the batch's source, its index within that source, and the batch.</summary>
internal readonly record struct MixedBatch<T>(long Step, BatchSource Source, long SourceIndex, T Batch);
