namespace Acclimate.Continual;

/// <summary>Where a rehearsal step's batch comes from.</summary>
public enum BatchSource
{
    /// <summary>The new (target) domain being adapted to.</summary>
    Domain,
    /// <summary>The general-domain data rehearsed to limit forgetting.</summary>
    General,
}
