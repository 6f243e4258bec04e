// Tables read in their stored type (TableView: F32, BF16, F16) by the whole-table analyses,
// against independent references: the widening against the scalar bit conversions of the
// safetensors reader, the fused skinny kernel against double sums, and every analysis on a
// BF16 / F16 view against the same analysis on the float table those values widen to (which
// must agree bit for bit for neighbours, and to float round-off for PCA), on every SIMD path
// this CPU has.
#include <doctest.h>

#include "analysis.h"
#include "checkpoint.h"
#include "safetensors.h"
#include "simd.h"
#include "skinny_kernels.h"
#include "table_view.h"
#include "vocabulary.h"

#include <Eigen/SVD>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

using namespace es;
namespace fs = std::filesystem;

namespace {

std::vector<SimdLevel> levels_here() {
  std::vector<SimdLevel> out = {SimdLevel::Portable};
  if (cpu_simd_level() >= SimdLevel::Avx2) out.push_back(SimdLevel::Avx2);
  if (cpu_simd_level() >= SimdLevel::Avx512) out.push_back(SimdLevel::Avx512);
  return out;
}
struct CapGuard {
  ~CapGuard() { set_simd_cap(SimdLevel::Avx512); }
};

// A table with structure: a rank-r part with decaying scales, noise and an offset.
MatrixRM structured(int n, int d, unsigned seed, int r = 6) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  MatrixRM basis(r, d), out(n, d);
  for (int i = 0; i < r * d; ++i) basis.data()[i] = nd(gen);
  for (int row = 0; row < n; ++row) {
    for (int c = 0; c < d; ++c) out(row, c) = 0.05f * nd(gen) + 0.2f;
    for (int j = 0; j < r; ++j) out.row(row) += nd(gen) * std::pow(0.7f, float(j)) * basis.row(j);
  }
  return out;
}

std::vector<uint16_t> to_half(const MatrixRM& m, ElementType type) {
  std::vector<uint16_t> out(static_cast<std::size_t>(m.size()));
  for (Eigen::Index i = 0; i < m.size(); ++i)
    out[static_cast<std::size_t>(i)] =
        type == ElementType::BF16 ? float_to_bf16_bits(m.data()[i]) : float_to_f16_bits(m.data()[i]);
  return out;
}
MatrixRM widened_by_scalar(const std::vector<uint16_t>& bits, ElementType type, int n, int d) {
  MatrixRM out(n, d);
  for (std::size_t i = 0; i < bits.size(); ++i)
    out.data()[i] = type == ElementType::BF16 ? bf16_bits_to_float(bits[i]) : f16_bits_to_float(bits[i]);
  return out;
}

}  // namespace

TEST_CASE("widening BF16 and F16 equals the scalar conversion on every path, specials included") {
  CapGuard guard;
  std::vector<uint16_t> bits;
  for (uint32_t b = 0; b < 65536; b += 7) bits.push_back(static_cast<uint16_t>(b));  // every class of value
  for (uint16_t special : {0x0000, 0x8000, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e01, 0x7f80, 0xff80, 0x7fc1})
    bits.push_back(special);
  for (SimdLevel level : levels_here()) {
    set_simd_cap(level);
    for (ElementType type : {ElementType::BF16, ElementType::F16})
      for (std::size_t count : {bits.size(), std::size_t(1), std::size_t(15), std::size_t(17), std::size_t(33)}) {
        std::vector<float> got(count);
        fast::widen(bits.data(), type, count, got.data());
        int differ = 0;
        for (std::size_t i = 0; i < count; ++i) {
          const float want = type == ElementType::BF16 ? bf16_bits_to_float(bits[i]) : f16_bits_to_float(bits[i]);
          uint32_t a, b;
          std::memcpy(&a, &got[i], 4);
          std::memcpy(&b, &want, 4);
          // bit for bit; a NaN only has to stay a NaN (F16C quiets signalling NaNs)
          differ += std::isnan(want) ? !std::isnan(got[i]) : a != b;
        }
        CHECK_MESSAGE(differ == 0, simd_level_name(level) << " " << element_type_name(type) << " count " << count);
      }
  }
}

TEST_CASE("the fused skinny kernel equals double sums for odd shapes on every path") {
  CapGuard guard;
  std::mt19937 gen(5);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (SimdLevel level : levels_here()) {
    set_simd_cap(level);
    for (int m : {1, 3, 4, 9, 17})
      for (int d : {1, 7, 16, 33, 100})
        for (int p : {1, 2, 3, 4, 5, 11, 13}) {
          std::vector<float> x(std::size_t(m) * d), zt(std::size_t(p) * d), shift(p), y(std::size_t(m) * p);
          for (float& v : x) v = u(gen);
          for (float& v : zt) v = u(gen);
          for (float& v : shift) v = u(gen);
          std::vector<float> acc(std::size_t(p) * d, 0.5f);  // accumulates onto what is there
          fast::skinny_block(x.data(), m, d, zt.data(), p, shift.data(), y.data(), acc.data());
          double worst_y = 0, worst_acc = 0;
          std::vector<double> yd(std::size_t(m) * p);
          for (int r = 0; r < m; ++r)
            for (int j = 0; j < p; ++j) {
              double s = 0;
              for (int i = 0; i < d; ++i) s += double(x[r * d + i]) * zt[j * d + i];
              yd[r * p + j] = s - shift[j];
              worst_y = std::max(worst_y, std::abs(yd[r * p + j] - y[r * p + j]));
            }
          for (int j = 0; j < p; ++j)
            for (int i = 0; i < d; ++i) {
              double s = 0.5;
              for (int r = 0; r < m; ++r) s += double(y[r * p + j]) * x[r * d + i];
              worst_acc = std::max(worst_acc, std::abs(s - acc[j * d + i]));
            }
          CHECK_MESSAGE(worst_y < 1e-4 * (1 + d), simd_level_name(level) << " m " << m << " d " << d << " p " << p);
          // From BF16 rows: the same results bit for bit as from the widened floats, and the
          // widened rows written out.
          std::vector<uint16_t> xb(x.size());
          std::vector<float> xw(x.size()), widened(x.size(), -1.f), y1(y.size()), y2(y.size());
          std::vector<float> acc1(acc.size(), 0.25f), acc2(acc.size(), 0.25f);
          for (std::size_t i = 0; i < x.size(); ++i) xw[i] = bf16_bits_to_float(xb[i] = float_to_bf16_bits(x[i]));
          fast::skinny_block(xw.data(), m, d, zt.data(), p, shift.data(), y1.data(), acc1.data());
          fast::skinny_block_bf16(xb.data(), widened.data(), m, d, zt.data(), p, shift.data(), y2.data(), acc2.data());
          CHECK(y1 == y2);
          CHECK(acc1 == acc2);
          CHECK(widened == xw);
          // Moments of the shifted rows.
          std::vector<float> colsum(d, 1.0f);
          double squares = 2.0;
          fast::shifted_moments(x.data(), m, d, zt.data(), colsum.data(), &squares);
          double want_sq = 2.0, worst_sum = 0;
          for (int i = 0; i < d; ++i) {
            double cs = 1.0;
            for (int r = 0; r < m; ++r) {
              const double c = double(x[r * d + i]) - zt[i];
              cs += c;
              want_sq += c * c;
            }
            worst_sum = std::max(worst_sum, std::abs(cs - colsum[i]));
          }
          CHECK(worst_sum < 1e-5 * (1 + m));
          CHECK(squares == doctest::Approx(want_sq).epsilon(1e-5));
          CHECK_MESSAGE(worst_acc < 1e-4 * (1 + m * d), simd_level_name(level) << " m " << m << " d " << d << " p " << p);
        }
  }
}

TEST_CASE("PCA of a BF16 / F16 view equals PCA of its widened float table and the SVD") {
  CapGuard guard;
  const int n = 9001, d = 96;  // more than 4096 rows: the first pass centres on a sample mean
  MatrixRM source = structured(n, d, 11);
  // Even rows shifted in a few columns: the sample (every second row here) misjudges the mean
  // by 1.5 there, which the first pass's correction must undo.
  for (int r = 0; r < n; r += 2) source.row(r).head(5).array() += 3.0f;
  for (ElementType type : {ElementType::BF16, ElementType::F16}) {
    const std::vector<uint16_t> bits = to_half(source, type);
    const MatrixRM wide = widened_by_scalar(bits, type, n, d);
    const TableView view{bits.data(), type, n, d};
    // Independent reference: singular values of the centred widened rows, in double.
    Eigen::MatrixXd x = wide.cast<double>();
    x.rowwise() -= x.colwise().mean();
    Eigen::JacobiSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeThinV);
    const double total = x.array().square().sum() / (n - 1);
    for (SimdLevel level : levels_here()) {
      set_simd_cap(level);
      for (PcaMethod method : {PcaMethod::Fast, PcaMethod::Iterative, PcaMethod::Reference}) {
        PcaTiming timing;
        const PcaBasis b = fit_pca_view(view, 4, method, &timing);
        if (method == PcaMethod::Iterative) CHECK(timing.path.rfind("iterative (", 0) == 0);  // it settled, no fallback
        CHECK(b.total_variance == doctest::Approx(total).epsilon(1e-6));
        for (int i = 0; i < 4; ++i) {
          const double want = svd.singularValues()(i) * svd.singularValues()(i) / (n - 1) / total;
          CHECK_MESSAGE(std::abs(b.explained_variance_ratio[i] - want) < 1e-6,
                        simd_level_name(level) << " " << element_type_name(type) << " method " << int(method));
          // the component is the SVD's axis (up to sign)
          const double c = std::abs(b.components.row(i).cast<double>().dot(svd.matrixV().col(i)));
          CHECK(c > 1 - 1e-5);
        }
        for (int j = 0; j < d; ++j) CHECK(b.mean(j) == doctest::Approx(wide.col(j).cast<double>().mean()).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("PCA progress and cancel") {
  const MatrixRM rows = structured(3000, 64, 3);
  const TableView view = TableView::of(TableMap(rows.data(), rows.rows(), rows.cols()));
  for (PcaMethod method : {PcaMethod::Fast, PcaMethod::Iterative}) {
    std::vector<double> seen;
    PcaControl control;
    control.progress = [&](double f) { seen.push_back(f); };
    const PcaBasis b = fit_pca_view(view, 3, method, nullptr, &control);
    const PcaBasis plain = fit_pca_view(view, 3, method);
    REQUIRE(!seen.empty());
    for (double f : seen) CHECK((f >= 0 && f <= 1));
    // the same answer up to the order of float sums (rows split per thread with a control)
    for (int i = 0; i < 3; ++i) CHECK(b.explained_variance_ratio[i] == doctest::Approx(plain.explained_variance_ratio[i]).epsilon(1e-6));
    std::atomic<bool> stop{true};
    PcaControl cancelled;
    cancelled.cancel = &stop;
    CHECK_THROWS_WITH(fit_pca_view(view, 3, method, nullptr, &cancelled), "PCA cancelled");
  }
}

TEST_CASE("neighbours, the index and analogies on a BF16 / F16 view equal those on the widened floats") {
  CapGuard guard;
  const int n = 3000, d = 72;
  const MatrixRM source = structured(n, d, 23, 10);
  for (ElementType type : {ElementType::BF16, ElementType::F16}) {
    const std::vector<uint16_t> bits = to_half(source, type);
    const MatrixRM wide = widened_by_scalar(bits, type, n, d);
    const TableMap wide_map(wide.data(), n, d);
    const TableView view{bits.data(), type, n, d};
    for (SimdLevel level : levels_here()) {
      set_simd_cap(level);
      const VocabularyIndex on_view(view), on_floats(wide_map);
      for (int id : {0, 17, 1234, n - 1}) {
        const RowVectorF q = wide.row(id);
        const std::span<const float> qs(q.data(), static_cast<std::size_t>(d));
        const int self[1] = {id};
        const std::vector<Neighbour> want = nearest_neighbours(wide_map, qs, 12, self);
        for (const std::vector<Neighbour>& got :
             {nearest_neighbours(view, qs, 12, self), on_view.nearest_to_token(id, 12), on_floats.nearest_to_token(id, 12)}) {
          REQUIRE(got.size() == want.size());
          for (std::size_t i = 0; i < got.size(); ++i) {
            CHECK(got[i].id == want[i].id);
            CHECK(got[i].cosine == want[i].cosine);  // bit for bit
          }
        }
        // and the float scores are the double-precision cosines
        for (const Neighbour& nb : want) {
          const double ref = wide.row(nb.id).cast<double>().dot(q.cast<double>()) /
                             (wide.row(nb.id).cast<double>().norm() * q.cast<double>().norm());
          CHECK(nb.cosine == doctest::Approx(ref).epsilon(1e-6));
        }
      }
      const RowVectorF a = analogy_vector(view, 5, 6, 7), b = on_floats.analogy_vector(5, 6, 7);
      CHECK((a - b).cwiseAbs().maxCoeff() == 0.0f);
      const auto ga = on_view.analogy(5, 6, 7, 5), gb = on_floats.analogy(5, 6, 7, 5);
      REQUIRE(ga.size() == gb.size());
      for (std::size_t i = 0; i < ga.size(); ++i) CHECK(ga[i].id == gb[i].id);
    }
  }
}

TEST_CASE("a checkpoint serves its BF16 / F16 / F32 token table in place, unconverted") {
  const fs::path dir = fs::temp_directory_path() / ("es_table_view_" + std::to_string(::getpid()));
  const int n = 40, d = 24;
  const MatrixRM source = structured(n, d, 2);
  for (SafetensorsDtype dt : {SafetensorsDtype::BF16, SafetensorsDtype::F16, SafetensorsDtype::F32}) {
    fs::create_directories(dir);
    std::vector<float> values(source.data(), source.data() + source.size());
    write_safetensors(dir / "model.safetensors",
                      {make_write_tensor("model.embed_tokens.weight", dt, {n, d}, values)});
    {
      std::ofstream(dir / "config.json") << R"({"model_type": "llama", "hidden_size": 24, "num_attention_heads": 2,
        "vocab_size": 40, "max_position_embeddings": 64, "rms_norm_eps": 1e-6})";
    }
    const std::unique_ptr<ModelSource> model = open_checkpoint(dir);
    const TableView view = model->token_table_view();
    CHECK(view.rows == n);
    CHECK(view.cols == d);
    const ElementType want = dt == SafetensorsDtype::BF16 ? ElementType::BF16
                             : dt == SafetensorsDtype::F16 ? ElementType::F16 : ElementType::F32;
    CHECK(view.type == want);
    MatrixRM rows(n, d);
    view.read_rows(0, n, rows.data());
    const TableMap floats = model->token_table();
    CHECK((rows - floats).cwiseAbs().maxCoeff() == 0.0f);
    fs::remove_all(dir);
  }
}
