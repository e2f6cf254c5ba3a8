using Acclimate.Errors;

namespace Acclimate.Training;

/// <summary>
/// An options record that can say what is wrong with its values. Recipes call it right after
/// binding a section (so the error names the recipe file); code that builds options itself calls
/// <see cref="ValidatedOptions.EnsureValid{T}"/>. Problems name the recipe key (snake_case), the
/// value found and what was expected.
/// </summary>
public interface IValidatedOptions
{
    /// <summary>Every problem with the current values; empty when the options are usable.</summary>
    IEnumerable<string> Problems();
}

/// <summary>Helpers for <see cref="IValidatedOptions"/>.</summary>
internal static class ValidatedOptions
{
    /// <summary>Returns <paramref name="options"/>, or throws a <see cref="ConfigException"/> listing every problem.</summary>
    public static T EnsureValid<T>(this T options, string? where = null) where T : IValidatedOptions
    {
        var problems = options.Problems().ToList();
        if (problems.Count == 0) return options;
        var prefix = where is null ? typeof(T).Name : where;
        throw new ConfigException($"{prefix}: " + string.Join("; ", problems) + ".");
    }
}
