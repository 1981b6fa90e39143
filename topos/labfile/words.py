"""A lab file's commands split into words as POSIX `sh` splits them. Pure Python.

The rules a user's pasted VBoxManage lines rely on, in one pass over the text (linear in
its length):
    blanks separate words; a newline outside quotes ends a command;
    `#` starts a comment only at the start of a word (`build#42` is one word);
    '...' keeps everything literally; "..." keeps everything but `\\` before `$`, `` ` ``,
    `"`, `\\` or a newline;
    a backslash outside quotes keeps the next character, and a backslash before a newline
    joins the lines (in a comment it is part of the comment: it joins nothing);
    a quote left open, or a backslash as the file's last character, is an error.
Nothing is expanded ($, `, globs): a lab file holds literal words.
"""

BLANKS = " \t"
DOUBLE_QUOTED_ESCAPES = '$`"\\\n'


def commands(text):
    """[(line number of its first word, [words])] of each command; ValueError("line N: ...")
    for a quote left open or a trailing backslash."""
    found, words, word, in_word = [], [], [], False
    line, start = 1, None
    i, n = 0, len(text)

    def end_word():
        nonlocal word, in_word
        if in_word:
            words.append("".join(word))
        word, in_word = [], False

    def end_command():
        nonlocal words, start
        end_word()
        if words:
            found.append((start, words))
        words, start = [], None

    while i < n:
        c = text[i]
        if c == "\n":
            end_command()
            line += 1
            i += 1
        elif c in BLANKS:
            end_word()
            i += 1
        elif c == "#" and not in_word:
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("\\\n", i):  # a continuation line: as if the two were one
            line += 1
            i += 2
        else:
            start = start or line
            in_word = True
            if c == "\\":
                if i + 1 >= n:
                    raise ValueError("line %d: a backslash ends the file (the command it "
                                     "continues is missing)" % line)
                word.append(text[i + 1])
                i += 2
            elif c == "'":
                end = text.find("'", i + 1)
                if end < 0:
                    raise ValueError("line %d: a ' quote is never closed" % line)
                word.append(text[i + 1:end])
                line += text.count("\n", i, end)
                i = end + 1
            elif c == '"':
                i, line = double_quoted(text, i + 1, line, word)
            else:
                word.append(c)
                i += 1
    end_command()
    return found


def double_quoted(text, i, line, word):
    """Read "..." from just after its opening quote; (index after it, line)."""
    opened, n = line, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1, line
        if c == "\\" and i + 1 < n and text[i + 1] in DOUBLE_QUOTED_ESCAPES:
            if text[i + 1] == "\n":
                line += 1
            else:
                word.append(text[i + 1])
            i += 2
            continue
        if c == "\n":
            line += 1
        word.append(c)
        i += 1
    raise ValueError("line %d: a \" quote is never closed" % opened)
