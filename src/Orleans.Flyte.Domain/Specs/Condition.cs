using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// A branch condition (issue 17): comparisons (<c>== != &lt; &lt;= &gt; &gt;=</c>) of workflow inputs, upstream outputs
/// (<c>{{ inputs.x }}</c>, <c>{{ nodes.n.outputs.y }}</c>) and literals (numbers, <c>'text'</c> or <c>"text"</c>,
/// <c>true</c>, <c>false</c>, <c>null</c>), joined with <c>and</c>, <c>or</c>, <c>not</c> and parentheses. Parsed when the
/// workflow is read, type-checked against the interfaces when it is registered, evaluated when the branch is ready.
/// Errors say the character where the problem is.
/// </summary>
public abstract record Condition
{
    public const int MaxLength = 2000;

    private Condition()
    {
    }

    public abstract IEnumerable<BindingReference> References { get; }

    public static bool TryParse(string text, out Condition? condition, out string? error)
    {
        condition = null;
        error = null;
        try
        {
            var parser = new Parser(text);
            condition = parser.Parse();
            return true;
        }
        catch (ConditionException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    /// <summary>The first type error, or null. <paramref name="typeOf"/> gives a reference's type (null: unknown, reported elsewhere).</summary>
    public string? TypeError(Func<BindingReference, ParameterType?> typeOf) => Check(typeOf, asBool: true);

    public bool Evaluate(Func<BindingReference, JsonNode?> valueOf) => this switch
    {
        Not n => !n.Inner.Evaluate(valueOf),
        And a => a.Left.Evaluate(valueOf) && a.Right.Evaluate(valueOf),
        Or o => o.Left.Evaluate(valueOf) || o.Right.Evaluate(valueOf),
        Compare c => Compares(c, c.Left.Value(valueOf), c.Right.Value(valueOf)),
        Operand o => o.Value(valueOf) is JsonValue v && v.GetValueKind() == JsonValueKind.True,
        _ => throw new InvalidOperationException("Unknown condition."),
    };

    private string? Check(Func<BindingReference, ParameterType?> typeOf, bool asBool)
    {
        switch (this)
        {
            case Not n:
                return n.Inner.Check(typeOf, true);
            case And a:
                return a.Left.Check(typeOf, true) ?? a.Right.Check(typeOf, true);
            case Or o:
                return o.Left.Check(typeOf, true) ?? o.Right.Check(typeOf, true);
            case Compare c:
                var (left, right) = (c.Left.TypeOf(typeOf), c.Right.TypeOf(typeOf));
                if (left is null || right is null || left.Kind == ParameterKind.Json || right.Kind == ParameterKind.Json)
                {
                    return null; // unknown, null or json: decided by the values at run time
                }

                if (!Comparable(left, right))
                {
                    return $"at character {c.Position + 1}: cannot compare {c.Left} ({left}) with {c.Right} ({right}) using '{c.Op}'; both sides must be of one type (int and float mix)";
                }

                return c.Op is not ("==" or "!=") && left.Kind is ParameterKind.Bool or ParameterKind.List or ParameterKind.Map or ParameterKind.File or ParameterKind.Directory
                    ? $"at character {c.Position + 1}: '{c.Op}' does not order {left} values; use == or !="
                    : null;
            case Operand o when asBool:
                var type = o.TypeOf(typeOf);
                return type is null || type.Kind is ParameterKind.Bool or ParameterKind.Json
                    ? null
                    : $"at character {o.Position + 1}: {o} is {ParameterType.Article(type)}, not a bool; compare it with something (e.g. {o} == ...)";
            default:
                return null;
        }
    }

    private static bool Comparable(ParameterType left, ParameterType right) =>
        (IsNumber(left) && IsNumber(right)) || left.Kind == right.Kind && (left.Element is null || left == right);

    private static bool IsNumber(ParameterType type) => type.Kind is ParameterKind.Int or ParameterKind.Float;

    private static bool Compares(Compare c, JsonNode? left, JsonNode? right)
    {
        int? order = (left, right) switch
        {
            (null, null) => 0,
            (null, _) or (_, null) => null,
            (JsonValue l, JsonValue r) when l.GetValueKind() == JsonValueKind.Number && r.GetValueKind() == JsonValueKind.Number =>
                decimal.Parse(l.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
                    .CompareTo(decimal.Parse(r.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)),
            (JsonValue l, JsonValue r) when l.GetValueKind() == JsonValueKind.String && r.GetValueKind() == JsonValueKind.String =>
                string.CompareOrdinal(l.GetValue<string>(), r.GetValue<string>()),
            _ when left.GetValueKind() == right.GetValueKind() && JsonNode.DeepEquals(left, right) => 0,
            _ => null,
        };
        return c.Op switch
        {
            "==" => order == 0,
            "!=" => order != 0,
            "<" => order < 0,
            "<=" => order <= 0,
            ">" => order > 0,
            ">=" => order >= 0,
            _ => false,
        };
    }

    public sealed record Not(Condition Inner) : Condition
    {
        public override IEnumerable<BindingReference> References => Inner.References;
    }

    public sealed record And(Condition Left, Condition Right) : Condition
    {
        public override IEnumerable<BindingReference> References => Left.References.Concat(Right.References);
    }

    public sealed record Or(Condition Left, Condition Right) : Condition
    {
        public override IEnumerable<BindingReference> References => Left.References.Concat(Right.References);
    }

    public sealed record Compare(Operand Left, string Op, Operand Right, int Position) : Condition
    {
        public override IEnumerable<BindingReference> References => Left.References.Concat(Right.References);
    }

    /// <summary>A reference or a literal.</summary>
    public sealed record Operand(BindingReference? Reference, JsonNode? Literal, int Position) : Condition
    {
        public override IEnumerable<BindingReference> References => Reference is null ? [] : [Reference];

        public JsonNode? Value(Func<BindingReference, JsonNode?> valueOf) => Reference is null ? Literal : valueOf(Reference);

        public ParameterType? TypeOf(Func<BindingReference, ParameterType?> typeOf) => Reference is not null
            ? typeOf(Reference)
            : Literal switch
            {
                null => null,
                JsonValue v when v.GetValueKind() == JsonValueKind.String => new ParameterType(ParameterKind.String),
                JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => new ParameterType(ParameterKind.Bool),
                JsonValue v when v.TryGetValue<long>(out _) => new ParameterType(ParameterKind.Int),
                _ => new ParameterType(ParameterKind.Float),
            };

        public override string ToString() => Reference is null ? Literal?.ToJsonString() ?? "null" : $"'{{{{ {Reference} }}}}'";
    }

    private sealed class ConditionException(string message) : Exception(message);

    /// <summary>Recursive descent: or := and ('or' and)*; and := not ('and' not)*; not := 'not' not | primary;
    /// primary := '(' or ')' | operand (op operand)?.</summary>
    private sealed class Parser(string text)
    {
        private int _at;

        public Condition Parse()
        {
            if (text.Length > MaxLength)
            {
                throw new ConditionException($"the condition is {text.Length} characters; at most {MaxLength} are allowed");
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                throw new ConditionException("the condition is empty; write e.g. \"{{ nodes.evaluate.outputs.accuracy }} >= 0.9\"");
            }

            var condition = ParseOr(0);
            Skip();
            if (_at < text.Length)
            {
                throw Error($"unexpected '{Rest()}'; expected 'and', 'or' or the end");
            }

            return condition;
        }

        private Condition ParseOr(int depth)
        {
            var left = ParseAnd(depth);
            while (Keyword("or"))
            {
                left = new Or(left, ParseAnd(depth));
            }

            return left;
        }

        private Condition ParseAnd(int depth)
        {
            var left = ParseNot(depth);
            while (Keyword("and"))
            {
                left = new And(left, ParseNot(depth));
            }

            return left;
        }

        private Condition ParseNot(int depth)
        {
            if (depth > 32)
            {
                throw Error("the condition nests too deeply");
            }

            if (Keyword("not"))
            {
                return new Not(ParseNot(depth + 1));
            }

            Skip();
            if (_at < text.Length && text[_at] == '(')
            {
                _at++;
                var inner = ParseOr(depth + 1);
                Skip();
                if (_at >= text.Length || text[_at] != ')')
                {
                    throw Error("expected ')'");
                }

                _at++;
                return inner;
            }

            var left = ParseOperand();
            Skip();
            foreach (var op in new[] { "==", "!=", "<=", ">=", "<", ">" })
            {
                if (string.CompareOrdinal(text, _at, op, 0, op.Length) == 0)
                {
                    _at += op.Length;
                    return new Compare(left, op, ParseOperand(), left.Position);
                }
            }

            return left;
        }

        private Operand ParseOperand()
        {
            Skip();
            var start = _at;
            if (_at >= text.Length)
            {
                throw Error("expected a value: '{{ inputs.x }}', '{{ nodes.n.outputs.y }}', a number, 'text', true, false or null");
            }

            if (string.CompareOrdinal(text, _at, "{{", 0, 2) == 0)
            {
                var close = text.IndexOf("}}", _at + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw Error("'{{' is not closed with '}}'");
                }

                var slice = text[_at..(close + 2)];
                if (!Binding.TryParse(JsonValue.Create(slice), out var binding, out var bindingError) || !binding.IsWholeReference)
                {
                    throw Error(bindingError ?? $"'{slice}' is not a binding");
                }

                _at = close + 2;
                return new Operand(binding.References[0], null, start);
            }

            var c = text[_at];
            if (c is '\'' or '"')
            {
                var end = text.IndexOf(c, _at + 1);
                if (end < 0)
                {
                    throw Error($"the text starting here is not closed with {c}");
                }

                _at = end + 1;
                return new Operand(null, JsonValue.Create(text[(start + 1)..end]), start);
            }

            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '.' or '-' or '+' or '_'))
            {
                _at++;
            }

            var word = text[start.._at];
            switch (word)
            {
                case "true":
                    return new Operand(null, JsonValue.Create(true), start);
                case "false":
                    return new Operand(null, JsonValue.Create(false), start);
                case "null":
                    return new Operand(null, null, start);
            }

            if (word.Length > 0 && decimal.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return new Operand(null, JsonNode.Parse(word), start);
            }

            _at = start;
            throw Error($"'{Rest()}' is not a value; write '{{{{ inputs.x }}}}', '{{{{ nodes.n.outputs.y }}}}', a number, 'quoted text', true, false or null");
        }

        private bool Keyword(string keyword)
        {
            Skip();
            if (string.CompareOrdinal(text, _at, keyword, 0, keyword.Length) == 0
                && (_at + keyword.Length == text.Length || !char.IsAsciiLetterOrDigit(text[_at + keyword.Length])))
            {
                _at += keyword.Length;
                return true;
            }

            return false;
        }

        private void Skip()
        {
            while (_at < text.Length && char.IsWhiteSpace(text[_at]))
            {
                _at++;
            }
        }

        private string Rest() => SpecDocument.Truncate(text[_at..]);

        private ConditionException Error(string message) => new($"at character {_at + 1}: {message}");
    }
}
