namespace Rollout.Engine;

/// <summary>
/// Bad input from the user: a missing or malformed file, an impossible option, a prompt that does
/// not fit. The message names the input and the problem in one line; the CLI prints it and exits 2
/// without a stack trace. Anything else escaping is a bug in this code.
/// </summary>
public sealed class InputException(string message, Exception? inner = null) : Exception(message, inner);
