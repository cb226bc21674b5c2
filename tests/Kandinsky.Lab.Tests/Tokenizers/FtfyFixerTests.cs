using Kandinsky.Lab.Tokenizers.Clip;

namespace Kandinsky.Lab.Tests.Tokenizers;

/// <summary>Examples from ftfy 6.3's own documentation (docstrings of fix_text, fix_encoding, fixes.*).</summary>
public class FtfyFixerTests
{
    [Theory]
    [InlineData("\u00E2\u0153\u201D No problems", "\u2714 No problems")]
    [InlineData("&macr;\\_(\u00E3\u0083\u0084)_/&macr;", "\u00AF\\_(\u30C4)_/\u00AF")]
    [InlineData("\uFF2C\uFF2F\uFF35\uFF24\u3000\uFF2E\uFF2F\uFF29\uFF33\uFF25\uFF33", "LOUD NOISES")]
    [InlineData("voil\u00C3 le travail", "voil\u00E0 le travail")]
    [InlineData("\u00C3\u00B3", "\u00F3")]
    [InlineData("sch\u00C3\u00B6n", "sch\u00F6n")]
    [InlineData("u\u00CC\u02C6nicode", "\u00FCnicode")]
    [InlineData("\u00C3\u00A0\u00C2\u00B2\u00C2\u00A0_\u00C3\u00A0\u00C2\u00B2\u00C2\u00A0", "\u0CA0_\u0CA0")]
    [InlineData("\u00E2\u20AC\u0153 like this \u00E2\u20AC\uFFFD", "\" like this \uFFFD")]
    [InlineData("P&EACUTE;REZ", "P\u00C9REZ")]
    [InlineData("BUNDESSTRA&SZLIG;E", "BUNDESSTRASSE")]
    [InlineData("&ntilde; &Ntilde; &NTILDE; &nTILDE;", "\u00F1 \u00D1 \u00D1 &nTILDE;")]
    [InlineData("&Jscr;ohn &HilbertSpace;ancock", "\U0001D4A5ohn \u210Bancock")]
    [InlineData("<em>HTML entities &lt;3</em>", "<em>HTML entities &lt;3</em>")]
    [InlineData("HTML entities &lt;3", "HTML entities <3")]
    [InlineData("\uFEFFParty like\nit&rsquo;s 1999!", "Party like\nit's 1999!")]
    [InlineData("not such a fan of Charlotte Bront\u00EB\u2026\u201D", "not such a fan of Charlotte Bront\u00EB\u2026\"")]
    [InlineData("\u001B[36;44mI'm blue, da ba dee da ba doo...\u001B[0m", "I'm blue, da ba dee da ba doo...")]
    [InlineData("\uFB02u\uFB03e\uFB06", "fluffiest")]
    [InlineData("\uFF35\uFF80\uFF70\uFF9D", "U\u30BF\u30FC\u30F3")]
    public void Documented_examples(string input, string expected) => Assert.Equal(expected, FtfyFixer.FixText(input));

    [Fact]
    public void Fixing_is_idempotent_and_linear_in_ligatures()
    {
        var text = string.Concat(Enumerable.Repeat("\uFB01", 100_000));
        var once = FtfyFixer.FixText(text);
        Assert.Equal(200_000, once.Length);
        Assert.Equal(once, FtfyFixer.FixText(once));
    }
}
