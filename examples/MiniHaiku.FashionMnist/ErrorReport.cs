using Spectre.Console;
using Spectre.Console.Cli;

namespace MiniHaiku.FashionMnistExample;

/// <summary>Turns any failure into a one-paragraph message and an exit code (never a stack trace).</summary>
public static class ErrorReport
{
    /// <summary>Exit code for bad command-line arguments.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for bad data, checkpoints or models (a <see cref="MiniHaikuException"/>).</summary>
    public const int InputError = 3;

    /// <summary>Exit code for anything else (a bug or an environment problem).</summary>
    public const int UnexpectedError = 4;

    /// <summary>Prints the error to standard error and returns the process exit code.</summary>
    /// <param name="exception">What went wrong.</param>
    /// <returns>A non-zero exit code.</returns>
    public static int Write(Exception exception)
    {
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        switch (exception)
        {
            case CommandAppException { Pretty: { } pretty }:
                error.Write(pretty);
                return UsageError;
            case CommandAppException app:
                error.MarkupLineInterpolated($"[red]Error:[/] {app.Message}");
                return UsageError;
            case MiniHaikuException mh:
                error.MarkupLineInterpolated($"[red]Error:[/] {mh.Message}");
                return InputError;
            case IOException or UnauthorizedAccessException:
                error.MarkupLineInterpolated($"[red]Error:[/] {exception.Message}");
                return InputError;
            default:
                error.MarkupLineInterpolated($"[red]Unexpected error ({exception.GetType().Name}):[/] {exception.Message}");
                return UnexpectedError;
        }
    }
}
