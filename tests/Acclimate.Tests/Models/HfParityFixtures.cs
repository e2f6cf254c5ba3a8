namespace Acclimate.Tests.Models;

/// <summary>The fixture folders under tests/fixtures/hf-parity.</summary>
public static class HfParityFixtures
{
    public static TheoryData<string> All => new()
    {
        "bert", "bert-token-cls", "bert-seq-cls", "roberta", "albert", "electra-discriminator", "electra-generator",
    };
}
