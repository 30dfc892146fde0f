//===- Spelling.h - "did you mean" for misspelt names ---------------------===//
//
// Shared by the compiler (op names, arguments, train settings, laminac's
// options) and the runtime (the executable's options), so both suggest by
// one rule.
//
//===----------------------------------------------------------------------===//
#ifndef LAMINA_ABI_SPELLING_H
#define LAMINA_ABI_SPELLING_H

#include <algorithm>
#include <string>
#include <vector>

namespace lamina::abi {

/// The number of single-character insertions, deletions and substitutions
/// that turn `a` into `b`.
inline unsigned editDistance(const std::string &a, const std::string &b) {
  std::vector<unsigned> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = static_cast<unsigned>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<unsigned>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      unsigned subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// The candidate closest to `word` if it is at most two edits away (and
/// shorter than `word` in edits); else one that is the first or last part
/// of `word` split at '_' or '-' (`kernel_size`: kernel, `num_epochs`:
/// epochs, `--batch-size`: --batch); else "".
inline std::string closestMatch(const std::string &word,
                                const std::vector<std::string> &candidates) {
  std::string best;
  unsigned bestDist = 3;
  for (const std::string &c : candidates) {
    unsigned d = editDistance(word, c);
    // A one-letter name is two edits from every other short name; only
    // suggest what is closer than rewriting the word.
    if (d == 0 || d >= bestDist || d >= word.size())
      continue;
    best = c;
    bestDist = d;
  }
  if (!best.empty())
    return best;
  // Leading dashes (of an option) belong to every part.
  size_t dashes = word.find_first_not_of('-');
  if (dashes == std::string::npos)
    return "";
  std::string lead = word.substr(0, dashes), body = word.substr(dashes);
  size_t first = body.find_first_of("_-"), last = body.find_last_of("_-");
  if (first == std::string::npos)
    return "";
  for (const std::string &part :
       {lead + body.substr(0, first), lead + body.substr(last + 1)})
    if (std::find(candidates.begin(), candidates.end(), part) !=
        candidates.end())
      return part;
  return "";
}

} // namespace lamina::abi

#endif // LAMINA_ABI_SPELLING_H
