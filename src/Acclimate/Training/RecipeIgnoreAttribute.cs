namespace Acclimate.Training;

/// <summary>Keeps a settable options property out of recipes (neither read nor written).</summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true, AllowMultiple = false)]
internal sealed class RecipeIgnoreAttribute : Attribute
{
}
