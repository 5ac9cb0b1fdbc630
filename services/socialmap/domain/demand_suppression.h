// Which demand counts of a zone's gap matrix are withheld, so that no count describes fewer than
// five referrals, directly or through a total. Pure; unit-tested directly.
//
// The matrix's referral counts form a table of life domains × age groups, with a total per row,
// per column and of the whole. Each entry below the threshold is withheld (primary suppression);
// then every row and every column (totals included, each being one sum) that holds exactly one
// withheld entry also withholds its smallest shown entry, until none does (secondary
// suppression): a line with one unknown would give it away by subtraction.
#pragma once

#include <array>
#include <vector>

namespace kp::socialmap {

inline constexpr int kAgeGroups = 3;
inline constexpr int kSmallestShown = 5;

struct DemandTable {
  // referrals[domain][group]: one row per life domain, in order.
  std::vector<std::array<int, kAgeGroups>> referrals;
};

struct Withheld {
  std::vector<std::array<bool, kAgeGroups>> cells;
  std::vector<bool> row_totals;               // one per life domain
  std::array<bool, kAgeGroups> column_totals{};  // one per age group
  bool total = false;                         // of the whole zone
};

Withheld SuppressSmallCounts(const DemandTable& table, int smallest_shown = kSmallestShown);

}  // namespace kp::socialmap
