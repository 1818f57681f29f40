import Foundation

/// BERT's text normalisation for uncased models: clean the text, space out CJK ideographs,
/// strip accents (NFD, then drop non-spacing marks) and lower-case.
///
/// The steps and their order follow Hugging Face `tokenizers`' `BertNormalizer` with
/// `clean_text`, `handle_chinese_chars`, `lowercase` (and so `strip_accents`) all on.
struct BertNormalizer: Sendable {
    /// Whether to lower-case and strip accents (true for uncased models).
    var lowercase: Bool = true

    /// Returns the normalised text as Unicode scalars.
    func normalize(_ text: String) -> [Unicode.Scalar] {
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(text.utf8.count + 8)
        var allASCII = true
        for scalar in text.unicodeScalars {
            if CharacterClasses.isRemovedByCleaning(scalar) { continue }
            if CharacterClasses.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if CharacterClasses.isChineseCharacter(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
                allASCII = false
            } else {
                if scalar.value >= 0x80 { allASCII = false }
                cleaned.append(scalar)
            }
        }
        guard lowercase else { return cleaned }
        if allASCII {
            for index in cleaned.indices {
                let value = cleaned[index].value
                if value >= 65 && value <= 90, let lower = Unicode.Scalar(value + 32) {
                    cleaned[index] = lower
                }
            }
            return cleaned
        }
        // Strip accents: canonical decomposition, then drop non-spacing marks (Mn).
        var view = String.UnicodeScalarView()
        view.append(contentsOf: cleaned)
        let decomposed = String(view).decomposedStringWithCanonicalMapping
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(cleaned.count + 8)
        for scalar in decomposed.unicodeScalars {
            if scalar.properties.generalCategory == .nonspacingMark { continue }
            if scalar.value < 0x80 {
                let value = scalar.value
                if value >= 65 && value <= 90, let lower = Unicode.Scalar(value + 32) {
                    result.append(lower)
                } else {
                    result.append(scalar)
                }
            } else if scalar.properties.changesWhenLowercased {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return result
    }
}
