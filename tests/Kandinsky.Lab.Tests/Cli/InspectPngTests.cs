using Kandinsky.Lab.Cli.Commands;

namespace Kandinsky.Lab.Tests.Cli;

public class InspectPngTests
{
    public static TheoryData<string> PngSuite => new(Directory.GetFiles(Fixtures.Path_("pngsuite", "images"), "*.png").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(PngSuite))]
    public void ValidImagesAreDescribedAndCorruptOnesRejectedWithOneLine(string name)
    {
        var path = Fixtures.Path_("pngsuite", "images", name);
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = InspectCommand.Run(path, output, error);
        if (name.StartsWith('x'))
        {
            Assert.Equal(2, exit);
            var message = error.ToString().TrimEnd('\n', '\r');
            Assert.StartsWith("error: ", message);
            Assert.DoesNotContain('\n', message);
            Assert.Contains(name, message);
        }
        else
        {
            Assert.Equal(0, exit);
            Assert.Matches(@"\d+x\d+ \w+ \d+-bit", output.ToString());
        }
    }
}
