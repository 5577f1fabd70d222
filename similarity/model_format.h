// The similarity model file: layout shared by the writer and the reader
// (private). Changing anything here changes the format: bump the version.
//
// A little-endian file: a fixed Header, a table of Sections, then the
// sections, each 8-byte aligned, the last two being the sums: kBlockSums, a
// checksum of every kBlockSize bytes from the end of the header up to
// kBlockSums itself, and kSumSums, a checksum of every kBlockSize bytes of
// kBlockSums. The header's `checksum` covers kSumSums. A reader verifies the
// header and kSumSums at open (8 bytes per 2 MiB of model), and any other
// block, and the block of sums vouching for it, the first time it reads from
// it: opening costs next to nothing at any size, and a damaged byte is still
// reported before it is used.
#ifndef OTIOSE_SIMILARITY_MODEL_FORMAT_H_
#define OTIOSE_SIMILARITY_MODEL_FORMAT_H_

#include <cstddef>
#include <cstdint>

#include "base/checksum.h"

namespace otiose::detail {

inline constexpr char kModelMagic[8] = {'O', 'T', 'I', 'O', 'S', 'I', 'M', '\0'};

enum SectionId : std::uint32_t {
  kConfig = 1,  // the TfidfConfig as JSON text (stop words inlined)
  kSlugs,       // u32 offsets[n_docs + 1], then the slugs' bytes
  kTerms,       // u32 offsets[n_terms + 1], then the terms' bytes, sorted
  kIdf,         // f64[n_terms]
  kRowPtr,      // u64[n_docs + 1]: CSR of the l2-normalised vectors
  kRowIdx,      // u32[nnz] term indices, ascending within a row
  kRowScale,    // f64[n_docs]: 1 / each row's l2 norm before normalising
                // (0 for an empty row): a row's values are computed from
                // its counts (kRowCount), the IDF and this (scoring.h,
                // row_value) as the build computed them, bit for bit; only
                // the columns store theirs (kColVal)
  kColPtr,      // u64[n_terms + 1]: the same matrix as CSC
  kColIdx,      // u32[nnz] specimen indices, ascending within a column
  kColVal,      // f64[nnz]
  kTopIdx,      // u32[n_docs * top_k], kNoNeighbour pads a short list
  kTopVal,      // f64[n_docs * top_k]
  kMatchScale,  // f64[kScaleBins + 1]: the share of specimen pairs with a
                // cosine below b / kScaleBins (SYSTEM MATCH %'s scale)
  kNameKeys,    // u32 offsets[n_names + 1], then each title and alias as
                // name_key() folds it, sorted
  kNameOwners,  // u32[n_names]: the specimen each name key belongs to
  // The reference occupations (all empty when the model has none): their
  // sublinear-tf, l2-normalised TF-IDF vectors over their own vocabulary.
  kOccTitles,   // u32 offsets[n_occ + 1], then each occupation's title
  kOccCovered,  // u8[n_occ] (padded): 1 when a specimen is that occupation
  kOccTerms,    // u32 offsets[n_occ_terms + 1], then the terms, sorted
  kOccIdf,      // f64[n_occ_terms]
  kOccColPtr,   // u64[n_occ_terms + 1]: CSC, occupations by term
  kOccColIdx,   // u32[occ_nnz] occupation indices
  kOccColVal,   // f64[occ_nnz]
  // What a related-specimen card shows, in slug order: the specimens'
  // titles and taglines as the records have them.
  kCardTitles,    // u32 offsets[n_docs + 1], then the titles' bytes
  kCardTaglines,  // u32 offsets[n_docs + 1], then the taglines' bytes
  // What an edit needs to reuse an unchanged specimen's counts instead of
  // tokenizing it again (similarity/README.md, "Edits").
  kTextSums,  // u64[n_docs]: checksum() of each specimen_text()
  kRowCount,  // u32[nnz]: each kRowIdx term's count in that text
  // For the ad matcher alone: the word pairs each specimen's text says at
  // least kPairMinCount times (stop words removed first, as scikit-learn's
  // ngram_range=(1, 2) pairs words), as terms of their own. A specimen's
  // vector for a pasted ad is its stored vector times kUniScale, joined by
  // its pairs' weights: the two l2-normalised together.
  kPairKeys,      // u64[n_pairs]: pair_key(first term, second term), ascending
  kPairIdf,       // f64[n_pairs]: smooth IDF over the specimens that keep it
  kPairColPtr,    // u64[n_pairs + 1]: CSC, specimens by pair
  kPairColIdx,    // u32[pair_nnz] specimen indices, ascending within a column
  kPairColVal,    // f64[pair_nnz]: the pair's weight in the joint vector
  kUniScale,      // f64[n_docs]: the stored vector's norm in the joint one
  kPairRowPtr,    // u64[n_docs + 1]: each specimen's pairs, for an edit
  kPairRowIdx,    // u32[pair_nnz] pair indices, ascending within a row
  kPairRowCount,  // u32[pair_nnz]: the pair's count in that text
  kBlockSums,     // u64 checksum of each kBlockSize bytes after the header
  kSumSums,       // u64 checksum of each kBlockSize bytes of kBlockSums
  kSectionCount = kSumSums,
};

// A page: the blocks a read verifies are the pages it maps.
inline constexpr std::size_t kBlockSize = 4096;

inline constexpr std::uint32_t kNoNeighbour = 0xFFFFFFFFu;

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_size;  // sizeof(Header)
  std::uint64_t file_size;
  std::uint64_t checksum;  // of the kSumSums section
  std::uint32_t n_docs;
  std::uint32_t n_terms;
  std::uint64_t nnz;
  std::uint32_t top_k;
  std::uint32_t section_count;
};

struct Section {
  std::uint32_t id;
  std::uint32_t reserved;
  std::uint64_t offset;
  std::uint64_t size;
};

}  // namespace otiose::detail

#endif  // OTIOSE_SIMILARITY_MODEL_FORMAT_H_
