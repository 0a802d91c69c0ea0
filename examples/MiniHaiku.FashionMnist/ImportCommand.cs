using MiniHaiku.Import;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace MiniHaiku.FashionMnistExample;

/// <summary><c>import</c>: loads weights trained with Haiku or PyTorch into one of the models and saves a checkpoint.</summary>
public sealed class ImportCommand : Command<ImportSettings>
{
    /// <inheritdoc />
    public override int Execute(CommandContext context, ImportSettings settings, CancellationToken cancellationToken)
    {
        var kind = ModelKinds.Parse(settings.Model)!.Value;
        var output = settings.Out ?? Path.Combine("runs", "imported", "model.safetensors");
        OutputFolder.RequireWritable(Path.GetDirectoryName(Path.GetFullPath(output))!);
        var model = Models.Create(kind);
        Params parameters, state;
        using (var example = torch.zeros(1, 1, 28, 28))
            (parameters, state) = model.Init(0, new ModelInput(example, IsTraining: true));
        var map = MapFor(settings.EffectiveFormat, parameters, settings.Prefix ?? "");
        var mode = settings.Partial ? ImportMode.Partial : ImportMode.Strict;
        var (imported, report) = WeightImport.Load(settings.Weights!, parameters, map, mode);

        AnsiConsole.MarkupLineInterpolated($"Imported {settings.Weights} ({settings.EffectiveFormat} names) into {kind.Name()}: {report.Counts}");
        var table = new Table().AddColumn("file entry").AddColumn("parameter").AddColumn("shape").AddColumn("note");
        foreach (var l in report.Loaded)
            table.AddRow(Markup.Escape(l.Source), Markup.Escape(l.Target), Markup.Escape(ShapeText.Format(l.Shape)),
                Markup.Escape((l.Layout == WeightLayout.AsIs ? "" : l.Layout.ToString()) + (l.SourceDType == l.DType ? "" : $" cast from {l.SourceDType}")));
        foreach (var m in report.Mismatched) table.AddRow(Markup.Escape(m.Source), Markup.Escape(m.Target), "", "[red]mismatched:[/] " + Markup.Escape(m.Reason));
        foreach (var s in report.Skipped) table.AddRow(Markup.Escape(s.Source), "", "", "[yellow]skipped:[/] " + Markup.Escape(s.Reason));
        foreach (var m in report.Missing) table.AddRow("", Markup.Escape(m), "", "[yellow]missing: kept its initial value[/]");
        AnsiConsole.Write(table);

        ModelCheckpoint.Save(output, kind, imported, state, new Dictionary<string, string>
        {
            ["imported_from"] = Path.GetFileName(settings.Weights!),
            ["import_report"] = report.Counts,
        });
        AnsiConsole.MarkupLineInterpolated($"Checkpoint: {output} (eval and predict read it)");
        parameters.DisposeTensors();
        foreach (var l in report.Loaded) imported[l.Target].Dispose();
        state.DisposeTensors();
        return 0;
    }

    /// <summary>
    /// The rename map of a format: <c>haiku</c> matches names by <see cref="HaikuNames"/> (<c>hidden1/w</c> ↔
    /// <c>~/hidden1/__call__/w</c>); <c>torch</c> sends <c>{module}.weight</c>/<c>.bias</c> of every module that has a
    /// <c>w</c> to its <c>w</c>/<c>b</c>, transposing linear weights and permuting OIHW kernels (<c>hidden1.weight</c>,
    /// <c>resnet.initial_conv.weight</c>).
    /// </summary>
    /// <param name="format">haiku or torch.</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="prefix">A prefix of the file's names to drop.</param>
    /// <returns>The map.</returns>
    public static WeightMap MapFor(string format, Params parameters, string prefix)
    {
        if (format == "haiku") return WeightMap.Haiku(parameters.Keys, sourcePrefix: prefix);
        var map = WeightMap.Empty;
        foreach (var path in parameters.Keys.Where(k => k.EndsWith("/w", StringComparison.Ordinal)))
        {
            var scope = path[..^2];
            var segments = scope.Split('/');
            // ~/hidden1/__call__ → hidden1; ~/resnet/__call__/initial_conv/__call__ → resnet.initial_conv
            var modules = segments.Skip(1).Where((_, i) => i % 2 == 0);
            map = map.TorchModule(prefix + string.Join(".", modules), scope);
        }
        return map;
    }
}
