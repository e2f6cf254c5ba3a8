namespace Acclimate.Data.Corpora;

/// <summary>One line of a text file: its 1-based number and its text without the line ending.</summary>
public readonly record struct TextLine(int Number, string Text);
