namespace Loom.Core.Planning;

/// <summary>What <see cref="GraphRenderer.Render"/> writes.</summary>
public enum GraphFormat
{
    /// <summary>Plain text by level, for a terminal.</summary>
    Ascii,

    /// <summary>A Mermaid <c>flowchart LR</c>, for Markdown.</summary>
    Mermaid,

    /// <summary>A Graphviz <c>digraph</c>.</summary>
    Dot,

    /// <summary>Jobs, edges, levels and the critical path, for tools.</summary>
    Json,
}
