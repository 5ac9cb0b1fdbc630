#include "socialmap/domain/demand_suppression.h"

#include <limits>
#include <utility>

namespace kp::socialmap {

Withheld SuppressSmallCounts(const DemandTable& table, int smallest_shown) {
  // The table with its totals: rows 0..n-1 the domains, row n the column totals; columns 0..2 the
  // age groups, column 3 the row totals.
  const int rows = static_cast<int>(table.referrals.size()) + 1, columns = kAgeGroups + 1;
  std::vector<std::array<int, kAgeGroups + 1>> count(rows, std::array<int, kAgeGroups + 1>{});
  for (int r = 0; r + 1 < rows; ++r)
    for (int c = 0; c < kAgeGroups; ++c) {
      const int n = table.referrals[r][c];
      count[r][c] = n;
      count[r][kAgeGroups] += n;
      count[rows - 1][c] += n;
      count[rows - 1][kAgeGroups] += n;
    }
  std::vector<std::array<bool, kAgeGroups + 1>> hidden(rows, std::array<bool, kAgeGroups + 1>{});
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < columns; ++c) hidden[r][c] = count[r][c] < smallest_shown;

  // A line is the entries of one sum: a row with its total, or a column with its total. One that
  // withholds exactly one entry withholds its smallest shown entry too; repeated until none does
  // (each round only adds, so it ends).
  bool changed = true;
  while (changed) {
    changed = false;
    const auto second = [&](const std::vector<std::pair<int, int>>& line) {
      int withheld = 0;
      std::pair<int, int> smallest{-1, -1};
      int smallest_count = std::numeric_limits<int>::max();
      for (const auto& [r, c] : line) {
        if (hidden[r][c]) ++withheld;
        else if (count[r][c] < smallest_count) smallest_count = count[r][c], smallest = {r, c};
      }
      if (withheld == 1 && smallest.first >= 0) {
        hidden[smallest.first][smallest.second] = true;
        changed = true;
      }
    };
    for (int r = 0; r < rows; ++r) {
      std::vector<std::pair<int, int>> line;
      for (int c = 0; c < columns; ++c) line.push_back({r, c});
      second(line);
    }
    for (int c = 0; c < columns; ++c) {
      std::vector<std::pair<int, int>> line;
      for (int r = 0; r < rows; ++r) line.push_back({r, c});
      second(line);
    }
  }

  Withheld out;
  for (int r = 0; r + 1 < rows; ++r) {
    out.cells.push_back({hidden[r][0], hidden[r][1], hidden[r][2]});
    out.row_totals.push_back(hidden[r][kAgeGroups]);
  }
  for (int c = 0; c < kAgeGroups; ++c) out.column_totals[c] = hidden[rows - 1][c];
  out.total = hidden[rows - 1][kAgeGroups];
  return out;
}

}  // namespace kp::socialmap
