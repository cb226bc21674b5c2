namespace Kandinsky.Lab.Tensors;

/// <summary>
/// Functional ops with the names and semantics of <c>torch.nn.functional</c> / <c>torch</c>, so model code
/// reads like the reference. Every op returns a new tensor the caller owns; inputs are never modified
/// unless the method name says so. Errors name the op and the shapes involved.
/// </summary>
public static partial class F
{
}
