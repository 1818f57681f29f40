extension TiktokenEncoding {
    /// Splits `text` with the `cl100k_base` pattern and byte-pair encodes each piece into `sink`.
    func run<Sink: TokenSink>(_ text: String, into sink: inout Sink) {
        var text = text
        text.withUTF8 { utf8 in
            table.slots.withUnsafeBufferPointer { slots in
                table.bytes.withUnsafeBufferPointer { bytes in
                    table.offsets.withUnsafeBufferPointer { offsets in
                        table.byteRanks.withUnsafeBufferPointer { byteRanks in
                            ScalarClass.bmpTable.withUnsafeBufferPointer { classes in
                                guard let slotBase = slots.baseAddress, let bytesBase = bytes.baseAddress,
                                    let offsetBase = offsets.baseAddress, let byteRankBase = byteRanks.baseAddress,
                                    let classBase = classes.baseAddress, let textBase = utf8.baseAddress
                                else { return }
                                let lookup = RankLookup(
                                    slots: slotBase, mask: slots.count - 1, shift: table.shift, bytes: bytesBase,
                                    offsets: offsetBase, byteRanks: byteRankBase)
                                var splitter = PreTokenizer(bytes: utf8, table: classBase)
                                var merger = BytePairMerger()
                                while let range = splitter.next() {
                                    let piece = textBase + range.lowerBound
                                    let length = range.count
                                    let rank = lookup.rank(piece, length)
                                    if rank != UInt32.max {
                                        sink.append(rank)
                                    } else {
                                        merger.merge(piece, length, lookup: lookup, into: &sink)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
