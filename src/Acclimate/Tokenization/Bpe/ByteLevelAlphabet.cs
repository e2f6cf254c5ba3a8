namespace Acclimate.Tokenization.Bpe;

/// <summary>
/// GPT-2's reversible byte-to-character table: printable Latin-1 bytes stand for themselves, the
/// other 68 bytes (controls, space, NBSP, soft hyphen…) are moved to U+0100 and up ("Ġ" is the space).
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = Build();

    public static char Map(byte b) => ByteToChar[b];

    /// <summary>True for the characters that encode the space byte (trimmed from offsets).</summary>
    public static bool IsSpace(char c) => c == ByteToChar[' '];

    private static char[] Build()
    {
        var table = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            table[b] = direct[b] ? (char)b : (char)next++;
        }
        return table;
    }
}
