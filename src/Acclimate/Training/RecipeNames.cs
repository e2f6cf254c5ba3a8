using System.Reflection;
using System.Text;

namespace Acclimate.Training;

/// <summary>How option properties are named in recipes: snake_case of the property name, unless <see cref="RecipeKeyAttribute"/> says otherwise.</summary>
internal static class RecipeNames
{
    /// <summary>"LearningRate" → "learning_rate", "AdamBeta1" → "adam_beta1", "MLMProbability" → "mlm_probability".</summary>
    public static string SnakeCase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previousIsLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (previousIsLowerOrDigit || endsAcronym) text.Append('_');
                text.Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }

    /// <summary>The recipe key of <paramref name="property"/>.</summary>
    public static string KeyOf(PropertyInfo property) =>
        property.GetCustomAttribute<RecipeKeyAttribute>()?.Key ?? SnakeCase(property.Name);

    /// <summary>The properties of <paramref name="type"/> a recipe can set, by key, in declaration order.</summary>
    public static IReadOnlyList<(string Key, PropertyInfo Property)> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<RecipeIgnoreAttribute>() is null)
            .OrderBy(p => p.MetadataToken)
            .Select(p => (KeyOf(p), p))
            .ToList();

    /// <summary>"constant_with_warmup" for ScheduleKind.ConstantWithWarmup.</summary>
    public static string EnumValue(Enum value) => SnakeCase(value.ToString());
}
