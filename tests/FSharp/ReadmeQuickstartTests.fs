/// The README's F# quickstart: quoted verbatim from ReadmeQuickstart.fs, and doing what it says.
module MiniHaiku.Tests.FSharp.ReadmeQuickstartTests

open System
open System.IO
open MiniHaiku.FSharp
open Xunit

let private repoFile (relative: string) =
    let rec up (dir: DirectoryInfo) =
        if isNull dir then failwith $"{relative} not found above {AppContext.BaseDirectory}"
        elif File.Exists(Path.Combine(dir.FullName, relative)) then Path.Combine(dir.FullName, relative)
        else up dir.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

let private lines (text: string) = text.Replace("\r\n", "\n").TrimEnd().Split('\n') |> Array.map (fun l -> l.TrimEnd()) |> List.ofArray

[<Fact>]
let ``the README's F# block is the compiled quickstart after its #r line`` () =
    let readme = File.ReadAllText(repoFile "README.md")
    let section = readme.Substring(readme.IndexOf "## Quickstart (F#)")
    let start = section.IndexOf "```fsharp\n" + "```fsharp\n".Length
    let block = section.Substring(start, section.IndexOf("```\n", start) - start)
    let readmeLines = lines block
    Assert.StartsWith("#r \"nuget: MiniHaiku.FSharp, 0.1.0\"", readmeLines.Head)
    let source = File.ReadAllText(repoFile "tests/FSharp/ReadmeQuickstart.fs")
    let from = source.IndexOf "// begin-quickstart\n" + "// begin-quickstart\n".Length
    let sample = source.Substring(from, source.IndexOf "// end-quickstart" - from)
    // Directives (#r, and any native-setup line the package adds) are the script's; the rest is the test's code.
    Assert.Equal<string list>(lines sample, readmeLines |> List.filter (fun l -> not (l.StartsWith "#")))
    // examples/quickstart.fsx is the same script, after its two comment lines.
    let script = lines (File.ReadAllText(repoFile "examples/quickstart.fsx"))
    Assert.Equal<string list>(readmeLines, script |> List.skipWhile (fun l -> l.StartsWith "//"))

[<Fact>]
let ``the quickstart's MLP has the notebook's parameters and one Adam step lowers the loss`` () =
    Assert.Equal<(string * int64 list) list>(
        [ "~/MLP_0/__call__/Linear_0/__call__/W", [ 3L; 3L ]
          "~/MLP_0/__call__/Linear_0/__call__/b", [ 3L ]
          "~/MLP_0/__call__/Linear_1/__call__/W", [ 3L; 5L ]
          "~/MLP_0/__call__/Linear_1/__call__/b", [ 5L ] ],
        Params.shapes ReadmeQuickstart.p)
    Assert.True((ReadmeQuickstart.loss ReadmeQuickstart.p2).item<float32> () < ReadmeQuickstart.value.item<float32> ())
