using Microsoft.Extensions.Options;

namespace OrderLib;

/// <summary>
/// Checks <see cref="OrderLibOptions"/> when they are first read (or when the host starts); each failure names the key to fix.
/// <c>DefaultClientId</c> follows the rules of <see cref="ClientId"/> itself.
/// </summary>
internal sealed class OrderLibOptionsValidator : IValidateOptions<OrderLibOptions>
{
    private const string Section = OrderLibOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, OrderLibOptions options)
    {
        var failures = new List<string>();
        if (options.QueueMetricsRefreshInterval <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:{nameof(OrderLibOptions.QueueMetricsRefreshInterval)} must be positive; got {options.QueueMetricsRefreshInterval}.");
        }

        try
        {
            _ = new ClientId(options.DefaultClientId);
        }
        catch (OrderLibValidationException exception)
        {
            failures.Add($"{Section}:{nameof(OrderLibOptions.DefaultClientId)}: {exception.Message}");
        }

        if (options.LeaseDuration <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:{nameof(OrderLibOptions.LeaseDuration)} must be positive; got {options.LeaseDuration}.");
        }

        try
        {
            options.RetryPolicy.Validate();
        }
        catch (OrderLibValidationException exception)
        {
            failures.Add($"{Section}:{nameof(OrderLibOptions.RetryBaseDelay)}, {nameof(OrderLibOptions.RetryMaxDelay)} and {nameof(OrderLibOptions.RetryJitter)}: {exception.Message}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
