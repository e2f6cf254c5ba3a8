namespace Acclimate.Training;

/// <summary>
/// Gives an options property a recipe key other than its snake_case name (e.g. to keep a
/// well-known HF spelling).
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true, AllowMultiple = false)]
internal sealed class RecipeKeyAttribute : Attribute
{
    public RecipeKeyAttribute(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        Key = key;
    }

    public string Key { get; }
}
