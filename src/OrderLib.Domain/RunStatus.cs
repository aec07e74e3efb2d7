namespace OrderLib;

/// <summary>Where a run is in its life. Pending and Running are active; the other three are terminal and final.</summary>
public enum RunStatus
{
    /// <summary>Waiting to be started (and, if it has dependencies, for them to succeed).</summary>
    Pending,

    /// <summary>Held by a worker.</summary>
    Running,

    /// <summary>Finished successfully. Terminal.</summary>
    Succeeded,

    /// <summary>Finished with an error. Terminal.</summary>
    Failed,

    /// <summary>Stopped before it could finish. Terminal.</summary>
    Cancelled,
}

/// <summary>The rules of the run life cycle: Pending → Running → Succeeded | Failed | Cancelled, and Pending → Cancelled.</summary>
public static class RunTransitions
{
    /// <summary>True for Pending and Running, the states a job may have at most one run in.</summary>
    public static bool IsActive(this RunStatus status) => status is RunStatus.Pending or RunStatus.Running;

    /// <summary>True for Succeeded, Failed and Cancelled, which never change again.</summary>
    public static bool IsTerminal(this RunStatus status) => !status.IsActive();

    /// <summary>Tells whether a run may move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsAllowed(RunStatus from, RunStatus to) => (from, to) switch
    {
        (RunStatus.Pending, RunStatus.Running) => true,
        (RunStatus.Pending, RunStatus.Cancelled) => true,
        (RunStatus.Running, RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled) => true,
        _ => false,
    };

    /// <summary>Refuses a transition the life cycle does not allow.</summary>
    /// <exception cref="IllegalRunTransitionException">The move from <paramref name="from"/> to <paramref name="to"/> is not allowed.</exception>
    public static void Ensure(RunId run, RunStatus from, RunStatus to)
    {
        if (!IsAllowed(from, to))
        {
            throw new IllegalRunTransitionException(run, from, to);
        }
    }
}
