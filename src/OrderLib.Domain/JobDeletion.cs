namespace OrderLib;

/// <summary>
/// What deleting a job may also do. <see cref="None"/> deletes only a job that nothing depends on and that has no active
/// (Pending or Running) run; each flag lifts one of those refusals.
/// </summary>
[Flags]
public enum JobDeletion
{
    /// <summary>Refuse when other jobs depend on the job (<see cref="JobHasDependentsException"/>) or it has an active run (<see cref="JobHasActiveRunException"/>).</summary>
    None = 0,

    /// <summary>Also remove the dependencies other jobs have on it; their pending runs stop waiting for it.</summary>
    RemoveDependencies = 1,

    /// <summary>
    /// Also end the job's active run: a Pending one never starts; a Running one's worker finds it gone, so its heartbeat and
    /// its report come back as lost (as for a run it no longer holds) and change nothing.
    /// </summary>
    CancelActiveRun = 2,
}
