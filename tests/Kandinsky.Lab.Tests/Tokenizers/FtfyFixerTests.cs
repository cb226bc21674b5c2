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

    /// <summary>Cases from ftfy's test suite (tests/test-cases: in-the-wild, synthetic, negative; MIT licence).</summary>
    [Theory]
    [InlineData("Hi guys \u00ED\u00A0\u00BD\u00ED\u00B8\u008D", "Hi guys \U0001F60D")]
    [InlineData("\u0420 \u0421\u2014\u0420\u040E\u0420\u201A\u0420 \u0421\u2018\u0420\u040E\u0420\u040F\u0420\u040E\u0432\u0402\u0459\u0420 \u0420\u2026\u0420 \u0421\u2022\u0420\u040E\u0420\u0453\u0420\u040E\u0432\u0402\u0459\u0420 \u0421\u2018. \u0420\u0406\u0421\u045A\u0412\u00A4", "\u043F\u0440\u0438\u044F\u0442\u043D\u043E\u0441\u0442\u0438. \u2764")]
    [InlineData("The Mona Lisa doesn\u00C3\u0192\u00C2\u00A2\u00C3\u00A2\u00E2\u20AC\u0161\u00C2\u00AC\u00C3\u00A2\u00E2\u20AC\u017E\u00C2\u00A2t have eyebrows.", "The Mona Lisa doesn't have eyebrows.")]
    [InlineData("#\u2568\u2510\u2564\u00C7\u2568\u2591\u2568\u2593\u2568\u2555\u2568\u2557\u2564\u00EE\u2568\u255C\u2568\u255B\u2568\u2561\u2568\u2510\u2568\u2555\u2564\u00E9\u2568\u2591\u2568\u255C\u2568\u2555\u2568\u2561", "#\u043F\u0440\u0430\u0432\u0438\u043B\u044C\u043D\u043E\u0435\u043F\u0438\u0442\u0430\u043D\u0438\u0435")]
    [InlineData("Europa, Asia, \u0102\uFFFDfrica, Norte, Am\u0102\u00A9rica Central y del Sur, Australia y Ocean\u0102\u00ADa", "Europa, Asia, \uFFFDfrica, Norte, Am\u00E9rica Central y del Sur, Australia y Ocean\u00EDa")]
    [InlineData("a bigger-than-expected \u0413\u201A\u0412\u04085.8bn rights issue to satisfy the new banking regulator", "a bigger-than-expected \u00A35.8bn rights issue to satisfy the new banking regulator")]
    [InlineData("\u00C3\u00A2\u00E2\u20AC\u009D\u00E2\u20AC\u2122(\u00C3\u00A2\u00C5\u2019\u00C2\u00A3\u00C3\u2039\u00E2\u20AC\u00BA\u00C3\u00A2\u00C5\u2019\u00C2\u00A3)\u00C3\u00A2\u00E2\u20AC\u009D\u00C5\u00BD", "\u2512(\u2323\u02DB\u2323)\u250E")]
    [InlineData("The ICR has been upgraded to \u00E2\u20AC\u0153bb+\u00E2\u20AC? from \u00E2\u20AC\u0153bb\u00E2\u20AC?", "The ICR has been upgraded to \"bb+\uFFFD from \"bb\uFFFD")]
    [InlineData("I just figured out how to tweet emojis! \u00E2\u009A\u00BD\u00ED\u00A0\u00BD\u00ED\u00B8\u0080\u00ED\u00A0\u00BD\u00ED\u00B8\u0081\u00ED\u00A0\u00BD\u00ED\u00B8\u0082\u00ED\u00A0\u00BD\u00ED\u00B8\u0086\u00ED\u00A0\u00BD\u00ED\u00B8\u008E\u00ED\u00A0\u00BD\u00ED\u00B8\u008E\u00ED\u00A0\u00BD\u00ED\u00B8\u008E\u00ED\u00A0\u00BD\u00ED\u00B8\u008E", "I just figured out how to tweet emojis! \u26BD\U0001F600\U0001F601\U0001F602\U0001F606\U0001F60E\U0001F60E\U0001F60E\U0001F60E")]
    [InlineData("\u00E3\u2020\u00E2\u20AC\u2122\u00E3\u0192\u00E2\u20AC \u00E3\u00A2\u00E2\u201A\u00AC\u00E2\u201E\u00A2\u00E3\u0192\u00E6\u2019\u00E3\u201A\u00E2\u00A2\u00E3\u0192\u00E2\u00A2\u00E3\u00A2\u00E2\u201A\u00AC\u00E5\u00A1\u00E3\u201A\u00E2\u00AC\u00E3\u0192\u00E2\u20AC\u0161\u00E3\u201A\u00E2", "\u00E3\u2020\u00E2\u20AC\u2122\u00E3\u0192\u00E2\u20AC \u00E3\u00A2\u00E2'\u00AC\u00E2\"\u00A2\u00E3\u0192\u00E6'\u00E3'\u00E2\u00A2\u00E3\u0192\u00E2\u00A2\u00E3\u00A2\u00E2'\u00AC\u00E5\u00A1\u00E3'\u00E2\u00AC\u00E3\u0192\u00E2\u20AC\u0161\u00E3'\u00E2")]
    [InlineData("\u00C3 perturber la r\u00C3\u00A9flexion des th\u00C3\u00A9ologiens jusqu'\u00C3 nos jours", "\u00E0 perturber la r\u00E9flexion des th\u00E9ologiens jusqu'\u00E0 nos jours")]
    [InlineData("com especial aten\u00C3\u00A7\u00C3\u00A3o \u00C3 s crian\u00C3\u00A7as", "com especial aten\u00E7\u00E3o \u00E0s crian\u00E7as")]
    [InlineData("\u00D7\u0090\u00D7\u0091\u00D7\u0091\u00D7\u0090", "\u05D0\u05D1\u05D1\u05D0")]
    [InlineData("\u0412\u0406\u041A\u0406 is Ukrainian for WIKI", "\u0412\u0406\u041A\u0406 is Ukrainian for WIKI")]
    [InlineData("These control characters \u001A are apparently intentional \u0081", "These control characters  are apparently intentional \u0081")]
    [InlineData("Bremer/Mccoy \u2013 Dr\u00C3\u00A5ber", "Bremer/Mccoy \u2013 Dr\u00C3\u00A5ber")]
    [InlineData("C O N C L U S \u00C3 O", "C O N C L U S \u00C3 O")]
    [InlineData("\u251C\u2524a\u253C\u2510a\u253C\u2510a\u253C\u2510a\u253C\u2510a", "\u251C\u2524a\u253C\u2510a\u253C\u2510a\u253C\u2510a\u253C\u2510a")]
    public void Test_suite_cases(string input, string expected) => Assert.Equal(expected, FtfyFixer.FixText(input));

    [Fact]
    public void Fixing_is_idempotent_and_linear_in_ligatures()
    {
        var text = string.Concat(Enumerable.Repeat("\uFB01", 100_000));
        var once = FtfyFixer.FixText(text);
        Assert.Equal(200_000, once.Length);
        Assert.Equal(once, FtfyFixer.FixText(once));
    }
}
