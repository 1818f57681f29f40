"""Drives the search page of a live `embedsync serve` in headless Chromium: type a query, wait for the result row.

Usage: python page_check.py BASE_URL QUERY EXPECTED_TEXT SCREENSHOT_PATH
Prints one JSON object: the rows' cells, the status line and the error line as the page shows them.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

base_url, query, expected, screenshot = sys.argv[1:5]
options = Options()
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,800"]:
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    driver.get(base_url + "/")
    WebDriverWait(driver, 60).until(lambda d: "rows" in d.find_element(By.ID, "status").text)
    driver.find_element(By.ID, "query").send_keys(query)
    driver.find_element(By.ID, "go").click()
    WebDriverWait(driver, 120).until(
        expected_conditions.text_to_be_present_in_element((By.ID, "results"), expected))
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in driver.find_elements(By.CSS_SELECTOR, "#results tr")]
    driver.save_screenshot(screenshot)
    print(json.dumps({
        "rows": rows, "status": driver.find_element(By.ID, "status").text,
        "latency": driver.find_element(By.ID, "latency").text,
        "error": driver.find_element(By.ID, "error").text,
        "console": [entry.get("message") for entry in driver.get_log("browser")],
    }))
finally:
    driver.quit()
