using System.Globalization;

namespace OrderLib.Dashboard.Rendering;

/// <summary>One bar of a chart: its label (shown on hover and to screen readers) and its stacked values, bottom first.</summary>
/// <param name="Label">What the bar stands for, e.g. its bucket's start time.</param>
/// <param name="Values">One value per series, bottom first.</param>
internal sealed record ChartBar(string Label, IReadOnlyList<double> Values);

/// <summary>One series of a chart: its name in the legend and the CSS class that colours it.</summary>
/// <param name="Name">The legend's text.</param>
/// <param name="CssClass">The class of its rectangles (colours live in the stylesheet: no inline style).</param>
internal sealed record ChartSeries(string Name, string CssClass);

/// <summary>Charts drawn on the server as SVG: no script, no library, readable without JavaScript.</summary>
internal static class Charts
{
    private const int Width = 720;
    private const int Height = 160;
    private const int AxisWidth = 48;

    /// <summary>
    /// A stacked bar chart with a legend, scaled to its tallest bar; each bar's title lists its values.
    /// <paramref name="formatValue"/> writes a value for the axis and the titles.
    /// </summary>
    public static Html StackedBars(string caption, IReadOnlyList<ChartSeries> series, IReadOnlyList<ChartBar> bars, Func<double, string> formatValue)
    {
        var max = bars.Count == 0 ? 0 : bars.Max(bar => bar.Values.Sum());
        var scale = max > 0 ? (Height - 10) / max : 0;
        var slot = bars.Count == 0 ? 0 : (double)(Width - AxisWidth) / bars.Count;
        var barWidth = Math.Max(1, slot * 0.8);
        var rectangles = bars.Select((bar, index) =>
        {
            var x = AxisWidth + index * slot + (slot - barWidth) / 2;
            var bottom = (double)Height;
            var parts = new List<Html>();
            for (var s = 0; s < series.Count && s < bar.Values.Count; s++)
            {
                var h = bar.Values[s] * scale;
                if (h <= 0)
                {
                    continue;
                }

                bottom -= h;
                parts.Add(Html.Of($"<rect class=\"{series[s].CssClass}\" x=\"{Number(x)}\" y=\"{Number(bottom)}\" width=\"{Number(barWidth)}\" height=\"{Number(h)}\"></rect>"));
            }

            var title = bar.Label + ": " + string.Join(", ", series.Select((item, s) => $"{item.Name} {formatValue(s < bar.Values.Count ? bar.Values[s] : 0)}"));
            return Html.Of($"<g class=\"bar\"><title>{title}</title><rect class=\"hit\" x=\"{Number(AxisWidth + index * slot)}\" y=\"0\" width=\"{Number(slot)}\" height=\"{Height}\"></rect>{Html.Join(parts)}</g>");
        });
        var legend = series.Select(item => Html.Of($"<li><span class=\"swatch {item.CssClass}\"></span>{item.Name}</li>"));
        return Html.Of($"""
            <figure class="chart">
            <figcaption>{caption}</figcaption>
            <svg viewBox="0 0 {Width} {Height + 4}" role="img" aria-label="{caption}">
            <line class="axis" x1="{AxisWidth}" y1="{Height}" x2="{Width}" y2="{Height}"></line>
            <text class="axis-label" x="{AxisWidth - 6}" y="12" text-anchor="end">{formatValue(max)}</text>
            <text class="axis-label" x="{AxisWidth - 6}" y="{Height}" text-anchor="end">0</text>
            {Html.Join(rectangles)}
            </svg>
            <ul class="legend">{Html.Join(legend)}</ul>
            </figure>
            """);
    }

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
