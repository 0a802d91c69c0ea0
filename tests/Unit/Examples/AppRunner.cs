using System.Reflection;
using MiniHaiku.FashionMnistExample;
using Spectre.Console;

namespace MiniHaiku.Tests.Examples;

/// <summary>Runs the example app's real entry point in-process, capturing standard output and error.</summary>
public static class AppRunner
{
    /// <summary>Runs <c>MiniHaiku.FashionMnist args</c>.</summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var entry = typeof(TrainCommand).Assembly.EntryPoint ?? throw new InvalidOperationException("the app has no entry point");
        var (oldOut, oldError, oldConsole) = (Console.Out, Console.Error, AnsiConsole.Console);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        console.Profile.Width = 400; // wide enough that table cells never wrap
        AnsiConsole.Console = console;
        try
        {
            var code = (int)entry.Invoke(null, [args])!;
            return (code, output.ToString(), error.ToString());
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldError);
            AnsiConsole.Console = oldConsole;
        }
    }

    public static string Flat(string text) => string.Join(' ', text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
}
