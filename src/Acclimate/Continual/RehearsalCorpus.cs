namespace Acclimate.Continual;

/// <summary>Which corpus a pretraining step's batch comes from when rehearsal mixes the general corpus in (<see cref="RehearsalSchedule.SourceAt"/>).</summary>
public enum RehearsalCorpus
{
    /// <summary>The new (target) domain being adapted to.</summary>
    Domain,
    /// <summary>The general-domain data rehearsed to limit forgetting.</summary>
    General,
}
