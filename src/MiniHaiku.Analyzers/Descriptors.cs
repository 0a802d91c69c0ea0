using Microsoft.CodeAnalysis;

namespace MiniHaiku.Analyzers;

/// <summary>The diagnostics MiniHaiku ships (docs/analyzers.md has one section per id).</summary>
internal static class Descriptors
{
    /// <summary>Where each id's section lives: docs/analyzers.md of the repository, anchor = the lower-case id.</summary>
    internal const string HelpBase = "docs/analyzers.md#";

    private const string Usage = "Usage";

    internal static readonly DiagnosticDescriptor ModuleMethodWithoutMethod = new(
        id: "MH0001",
        title: "A module method that returns a Model must go through Method(...)",
        messageFormat: "'{0}.{1}' returns a Model<{2}> without going through Method(...): the parameters and submodules it creates land in the caller's scope instead of '{{module path}}/{1}', so two instances of {0} silently share them; wrap the body in Method(...)",
        category: Usage,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A public or internal instance method of a type deriving from MiniHaiku.Module that returns MiniHaiku.Model<T> should build its result with the module's protected Method(...) (or delegate to another such method of the module). Without it, GetParam/GetState and submodules are named in the caller's scope and two instances of the module share their parameters with no error.",
        helpLinkUri: HelpBase + "mh0001");

    internal static readonly DiagnosticDescriptor DroppedModel = new(
        id: "MH0002",
        title: "A Model built and dropped does nothing",
        messageFormat: "This {0} returns a Model<{1}> that is dropped: a model is a description, building it runs nothing; bind it (from … in …, SelectMany, Then) into the model that is returned",
        category: Usage,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "An expression statement whose value is a MiniHaiku.Model<T> (e.g. Hk.SetState(\"n\", v); or layer.Call(x); on its own line) builds a description and throws it away: its parameters, state updates and random draws never happen.",
        helpLinkUri: HelpBase + "mh0002");

    internal static readonly DiagnosticDescriptor UnreadModelLocal = new(
        id: "MH0003",
        title: "A Model local that is never read does nothing",
        messageFormat: "The local '{0}' holds a Model<{1}> that is never read: the model never runs; bind it into the model that is returned, or remove it",
        category: Usage,
        defaultSeverity: DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: "A local variable of type MiniHaiku.Model<T> that is assigned but never read is a model that never runs: its parameters, state updates and random draws never happen.",
        helpLinkUri: HelpBase + "mh0003");
}
