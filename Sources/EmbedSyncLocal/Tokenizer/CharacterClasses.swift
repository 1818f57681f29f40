/// BERT's character classes, as the Hugging Face `tokenizers` BertNormalizer and BertPreTokenizer define them.
enum CharacterClasses {
    /// Characters `clean_text` deletes: NUL, U+FFFD and "other" characters (Cc, Cf, Cn, Co, Cs),
    /// except tab, newline and carriage return, which count as whitespace.
    @inline(__always)
    static func isRemovedByCleaning(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value == 0 || value == 0xFFFD { return true }
        if value < 0x80 {
            if value == 0x09 || value == 0x0A || value == 0x0D { return false }
            return value < 0x20 || value == 0x7F
        }
        switch scalar.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate:
            return true
        default:
            return false
        }
    }

    /// Whitespace: tab, newline, carriage return and every `White_Space` character.
    @inline(__always)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return value == 0x20 || (value >= 0x09 && value <= 0x0D)
        }
        return scalar.properties.isWhitespace
    }

    /// BERT punctuation: ASCII 33–47, 58–64, 91–96, 123–126, and every Unicode `P*` character.
    @inline(__always)
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (value >= 33 && value <= 47) || (value >= 58 && value <= 64)
                || (value >= 91 && value <= 96) || (value >= 123 && value <= 126)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// CJK ideographs (the CJK Unified Ideographs blocks and their extensions and compatibility blocks),
    /// which BERT splits into single-character words. Hiragana, katakana and hangul are not included.
    @inline(__always)
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
