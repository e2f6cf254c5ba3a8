namespace Acclimate.Adaptation.Augmentation;

/// <summary>The four WordNet files pairs (<c>index.noun</c> + <c>data.noun</c>, …).</summary>
public enum WordNetPartOfSpeech
{
    /// <summary>Nouns (<c>index.noun</c>, <c>data.noun</c>).</summary>
    Noun,
    /// <summary>Verbs (<c>index.verb</c>, <c>data.verb</c>).</summary>
    Verb,
    /// <summary>Adjectives, satellites included (<c>index.adj</c>, <c>data.adj</c>).</summary>
    Adjective,
    /// <summary>Adverbs (<c>index.adv</c>, <c>data.adv</c>).</summary>
    Adverb,
}

/// <summary>File names and letters of <see cref="WordNetPartOfSpeech"/>.</summary>
internal static class WordNetPartsOfSpeech
{
    /// <summary>All four, in WordNet's file order.</summary>
    public static IReadOnlyList<WordNetPartOfSpeech> All { get; } = Enum.GetValues<WordNetPartOfSpeech>();

    /// <summary>The file suffix: <c>noun</c>, <c>verb</c>, <c>adj</c>, <c>adv</c>.</summary>
    public static string FileSuffix(WordNetPartOfSpeech pos) => pos switch
    {
        WordNetPartOfSpeech.Noun => "noun",
        WordNetPartOfSpeech.Verb => "verb",
        WordNetPartOfSpeech.Adjective => "adj",
        _ => "adv",
    };

    /// <summary>The letter index files use: n, v, a, r.</summary>
    public static char Letter(WordNetPartOfSpeech pos) => pos switch
    {
        WordNetPartOfSpeech.Noun => 'n',
        WordNetPartOfSpeech.Verb => 'v',
        WordNetPartOfSpeech.Adjective => 'a',
        _ => 'r',
    };

    /// <summary>True when a data file's synset type letter belongs to the part of speech (adjective satellites <c>s</c> live in data.adj).</summary>
    public static bool Accepts(WordNetPartOfSpeech pos, char synsetType) =>
        synsetType == Letter(pos) || pos == WordNetPartOfSpeech.Adjective && synsetType == 's';
}
