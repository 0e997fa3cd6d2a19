using System.Text.RegularExpressions;
using Rollout.Engine.Prompts;

namespace Rollout.Engine.Tests.Prompts;

/// <summary>
/// Templates as they appear in the models' tokenizer_config.json (after JSON decoding: a Jinja "\n" escape
/// is still backslash-n), and what HF's apply_chat_template renders from them, written out by hand.
/// </summary>
public class ChatTemplateTests
{
    private const string Qwen2 = @"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private const string Qwen25Math = @"{%- if tools %}{{- '<|im_start|>system\n' }}{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}{%- else %}{{- 'Please reason step by step, and put your final answer within \\boxed{}.' }}{%- endif %}{%- else %}{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}{%- else %}{{- '<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n' }}{%- endif %}{%- endif %}{%- for message in messages %}{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}";

    // Qwen3's system handling (tools branch included: it must not be taken for a default system message).
    private const string Qwen3 = @"{%- if tools %}{{- '<|im_start|>system\n' }}{%- if messages[0].role == 'system' %}{{- messages[0].content + '\n\n' }}{%- endif %}{{- ""# Tools\n\n<tools>"" }}{{- ""\n</tools><|im_end|>\n"" }}{%- else %}{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}{%- endif %}{%- endif %}{%- for message in messages %}{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\n\n</think>\n\n' }}{%- endif %}{%- endif %}";

    private const string Llama3 = @"{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    // The parts of Llama 3.1's template that matter without tools.
    private const string Llama31 = @"{{- bos_token }}
{%- if not date_string is defined %}
    {%- set date_string = ""26 Jul 2024"" %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = """" %}
{%- endif %}
{{- ""<|start_header_id|>system<|end_header_id|>\n\n"" }}
{{- ""Cutting Knowledge Date: December 2023\n"" }}
{{- ""Today Date: "" + date_string + ""\n\n"" }}
{{- system_message }}
{{- ""<|eot_id|>"" }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}";

    private const string Bos = "<|begin_of_text|>";
    private static readonly ChatMessage[] UserOnly = [new("user", "What is 2+2?")];
    private static readonly ChatMessage[] WithSystem = [new("system", " Be brief.\n"), new("user", " What is 2+2?\n")];

    [Fact]
    public void Qwen2_adds_its_default_system_message_when_none_is_given()
    {
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.Render(Qwen2, UserOnly, null, addGenerationPrompt: true));
    }

    [Fact]
    public void ChatML_keeps_a_given_system_message_and_does_not_trim()
    {
        Assert.Equal(
            "<|im_start|>system\n Be brief.\n<|im_end|>\n<|im_start|>user\n What is 2+2?\n<|im_end|>\n",
            ChatTemplate.Render(Qwen2, WithSystem, null, addGenerationPrompt: false));
    }

    [Fact]
    public void Qwen25_math_default_system_message_is_unescaped_as_jinja_does()
    {
        Assert.Equal(
            "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.Render(Qwen25Math, UserOnly, null, addGenerationPrompt: true));
    }

    [Fact]
    public void A_default_system_message_may_hold_escaped_quotes()
    {
        const string template = @"{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou\'re terse.<|im_end|>\n' }}{% endif %}{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}{% endfor %}";
        Assert.Equal(
            "<|im_start|>system\nYou're terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n",
            ChatTemplate.Render(template, UserOnly, null, addGenerationPrompt: false));
    }

    [Fact]
    public void Qwen3_has_no_default_system_message()
    {
        Assert.Equal(
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
            ChatTemplate.Render(Qwen3, UserOnly, null, addGenerationPrompt: true));
    }

    [Fact]
    public void Llama3_starts_with_bos_and_trims_contents()
    {
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.Render(Llama3, WithSystem, Bos, addGenerationPrompt: true));
    }

    [Fact]
    public void Llama31_always_opens_with_the_dated_system_turn()
    {
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatTemplate.Render(Llama31, UserOnly, Bos, addGenerationPrompt: true));
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>",
            ChatTemplate.Render(Llama31, WithSystem, Bos, addGenerationPrompt: false));
    }

    [Fact]
    public void Llama32_dates_the_system_turn_today_like_strftime_now()
    {
        var template = Llama31.Replace(@"{%- set date_string = ""26 Jul 2024"" %}", @"{%- set date_string = strftime_now(""%d %b %Y"") %}");
        var text = ChatTemplate.Render(template, UserOnly, Bos, addGenerationPrompt: true);
        Assert.Matches(new Regex(@"\nToday Date: \d\d [A-Z][a-z]{2} \d{4}\n\n<\|eot_id\|>"), text);
    }

    [Fact]
    public void A_missing_or_unknown_template_is_an_input_error_listing_the_supported_ones()
    {
        var none = Assert.Throws<InputException>(() => ChatTemplate.Render(null, UserOnly, null, true));
        Assert.Contains("no chat template", none.Message);
        var other = Assert.Throws<InputException>(() => ChatTemplate.Render("{% for m in messages %}<｜User｜>{{ m.content }}{% endfor %}", UserOnly, null, true));
        Assert.Contains("not supported", other.Message);
        Assert.Contains(ChatTemplate.Supported, other.Message);
    }
}
